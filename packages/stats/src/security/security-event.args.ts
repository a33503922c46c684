import { MAX_PAGE_SIZE, SecurityEventKind } from "@honour/platform";
import { IsEnum, IsOptional, Max, Min } from "class-validator";
import { GraphQLDateTime } from "graphql-scalars";
import { ArgsType, Field, Int } from "type-graphql";
import "./security-event.object"; // registers the enum before it is used here

/** `securityEvents(kind, from, to, first, after)`, in the contract's order. */
@ArgsType()
export class SecurityEventsArgs {
  @Field(() => SecurityEventKind, { nullable: true })
  @IsOptional()
  @IsEnum(SecurityEventKind)
  kind?: SecurityEventKind | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "Events at or after this instant." })
  @IsOptional()
  from?: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "Events before this instant." })
  @IsOptional()
  to?: Date | null;

  @Field(() => Int, { nullable: true, description: `Page size, 1–${MAX_PAGE_SIZE} (default 20).` })
  @IsOptional()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number | null;

  @Field(() => String, { nullable: true, description: "endCursor of the previous page." })
  @IsOptional()
  after?: string | null;
}
