import { IsNotEmpty, IsString, MaxLength } from "class-validator";
import { Field, InputType } from "type-graphql";
import { POLICY_LIMITS } from "./policy-version.entity";
import type { PolicyDraft } from "./policy.service";

@InputType({ description: "The version number and the last-updated date are set by the server." })
export class PublishPolicyVersionInput implements PolicyDraft {
  @Field(() => String)
  @IsString()
  @IsNotEmpty()
  @MaxLength(POLICY_LIMITS.summaryOfChanges)
  summaryOfChanges!: string;

  @Field(() => String, { description: `Markdown, at most ${POLICY_LIMITS.bodyBytes} bytes.` })
  @IsString()
  @IsNotEmpty()
  body!: string;
}
