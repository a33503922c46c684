import { Channel, Topic } from "@honour/platform";
import { PostalAddressObject } from "@honour/users/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";

@ObjectType("ContactListRow", {
  simpleResolvers: true,
  description: "One person on a list: the name and only the detail the list's channel needs.",
})
export class ContactListRowObject {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => String, { nullable: true, description: "E.164; TELEPHONE lists." })
  phone!: string | null;

  @Field(() => String, { nullable: true, description: "E.164; FAX lists." })
  fax!: string | null;

  @Field(() => PostalAddressObject, { nullable: true, description: "MAIL lists." })
  address!: PostalAddressObject | null;
}

@ObjectType("ContactListExport", { simpleResolvers: true, description: "A list as exported; the export is logged." })
export class ContactListExportObject {
  @Field(() => ID)
  id!: string;

  @Field(() => Topic)
  topic!: Topic;

  @Field(() => Channel)
  channel!: Channel;

  @Field(() => Int)
  rowCount!: number;

  @Field(() => GraphQLDateTime)
  exportedAt!: Date;

  @Field(() => [ContactListRowObject])
  rows!: ContactListRowObject[];
}
