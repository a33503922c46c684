import { Channel, Topic } from "@honour/platform";
import "@honour/platform/graphql"; // registers the Topic and Channel enums
import { IsEnum } from "class-validator";
import { ArgsType, Field } from "type-graphql";

/** `contactList(topic, channel)`; an args class keeps the arguments in the contract's order. */
@ArgsType()
export class ContactListArgs {
  @Field(() => Topic)
  @IsEnum(Topic)
  topic!: Topic;

  @Field(() => Channel, { description: "TELEPHONE, FAX or MAIL." })
  @IsEnum(Channel)
  channel!: Channel;
}
