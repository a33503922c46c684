import { registerEnumType } from "type-graphql";
import { Channel, Topic } from "../communications/communications";

// Topic and Channel live in platform (users and consent both use them); their GraphQL enums are
// registered here, once, for every package that imports "@honour/platform/graphql".
registerEnumType(Topic, { name: "Topic", description: "What a communication is about." });
registerEnumType(Channel, { name: "Channel", description: "How a communication reaches a person." });
