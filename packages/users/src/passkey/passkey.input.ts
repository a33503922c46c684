import { GraphQLJSONObject } from "graphql-scalars";
import { Field, InputType } from "type-graphql";

@InputType({ description: "The browser's new credential, answering startPasskeyRegistration's options." })
export class FinishPasskeyRegistrationInput {
  @Field(() => GraphQLJSONObject, {
    description: "`PublicKeyCredential.toJSON()` of what `navigator.credentials.create` returned.",
  })
  response!: Record<string, unknown>;

  @Field(() => String, {
    nullable: true,
    description: 'A name to recognise it by (default "Passkey"), at most 100 characters.',
  })
  name?: string | null;
}

@InputType({ description: "The browser's signed answer to startPasskeyLogin's options." })
export class FinishPasskeyLoginInput {
  @Field(() => GraphQLJSONObject, {
    description: "`PublicKeyCredential.toJSON()` of what `navigator.credentials.get` returned.",
  })
  response!: Record<string, unknown>;
}
