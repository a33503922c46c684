import { ArrayMaxSize, ValidateNested } from "class-validator";
import { ArgsType, Field } from "type-graphql";
import { MAX_PREFERENCE_CHANGES } from "./consent.service";
import { PreferenceInput } from "./preference.input";

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
