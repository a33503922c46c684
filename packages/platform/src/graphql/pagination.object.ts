import { ArgsType, Field, Int, ObjectType, type ClassType } from "type-graphql";
import { IsOptional, Max, Min } from "class-validator";
import { MAX_PAGE_SIZE } from "../pagination/pagination";

@ObjectType("PageInfo", { simpleResolvers: true })
export class PageInfoObject {
  @Field()
  hasNextPage!: boolean;
  @Field()
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true })
  startCursor!: string | null;
  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** `first` (1–100, default 20) and `after` (an opaque cursor from a previous page). */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Page size, 1–${MAX_PAGE_SIZE} (default 20).` })
  @IsOptional()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: "endCursor of the previous page." })
  @IsOptional()
  after?: string;
}

/** Builds the `<Name>Connection` and `<Name>Edge` types of a Relay-style connection. */
export function ConnectionType<T extends object>(name: string, node: ClassType<T>) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field()
    cursor!: string;
    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class Connection {
    @Field(() => [Edge])
    edges!: Edge[];
    @Field(() => [node])
    nodes!: T[];
    @Field(() => PageInfoObject)
    pageInfo!: PageInfoObject;
  }
  return Connection;
}
