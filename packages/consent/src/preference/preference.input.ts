import { Channel, Topic } from "@honour/platform";
import { IsBoolean, IsEnum } from "class-validator";
import { Field, InputType } from "type-graphql";
import "./preference.object"; // registers the enums before they are used here
import type { PreferenceChange } from "./consent.service";

@InputType({ description: "Grant (true) or withdraw (false) one topic on one channel." })
export class PreferenceInput implements PreferenceChange {
  @Field(() => Topic)
  @IsEnum(Topic)
  topic!: Topic;

  @Field(() => Channel)
  @IsEnum(Channel)
  channel!: Channel;

  @Field(() => Boolean)
  @IsBoolean()
  granted!: boolean;
}
