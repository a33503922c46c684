import { Field, ObjectType } from "type-graphql";

@ObjectType("TotpEnrolment", {
  simpleResolvers: true,
  description: "A new authenticator's secret, to scan or type; confirmTotpEnrolment with its first code turns it on.",
})
export class TotpEnrolmentObject {
  @Field(() => String, { description: "The secret in base32, for typing into an authenticator app." })
  secret!: string;

  @Field(() => String, { description: "The otpauth:// URI (Key URI Format) of the secret." })
  otpauthUri!: string;

  @Field(() => String, { description: "The URI as a QR code: a standalone SVG document." })
  qrCodeSvg!: string;
}
