import { Channel, Topic } from "@honour/platform";
import { ArrayMaxSize, IsBoolean, IsEnum, ValidateNested } from "class-validator";
import { ArgsType, Field, InputType } from "type-graphql";
import "./preference.object"; // registers the enums before they are used here
import { MAX_PREFERENCE_CHANGES, type PreferenceChange } from "./consent.service";

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

/** `setPreferences(input)`: at most one entry per topic and channel. */
@ArgsType()
export class SetPreferencesArgs {
  @Field(() => [PreferenceInput], {
    description: `At most ${MAX_PREFERENCE_CHANGES} entries, each topic and channel once.`,
  })
  @ArrayMaxSize(MAX_PREFERENCE_CHANGES)
  @ValidateNested()
  input!: PreferenceInput[];
}
