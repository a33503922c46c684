import "reflect-metadata";
import { graphql, type GraphQLResolveInfo } from "graphql";
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Info,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { buildGatewaySchema } from "./schema";

@ObjectType("DirectThing")
class ThingObject {
  @Field(() => ID)
  id!: string;
}

/** What the field resolvers read of the root: an interface, so type-graphql converts nothing. */
interface Thing {
  id: string;
}

interface ThingContext {
  prefix: string;
  allowed: boolean;
}

@Resolver(() => ThingObject)
class ThingResolver {
  @Query(() => ThingObject)
  thing(): ThingObject {
    return { id: "t1" };
  }

  @FieldResolver(() => String)
  label(@Ctx() ctx: ThingContext, @Root() thing: Thing, @Info() info: GraphQLResolveInfo): string {
    return `${ctx.prefix}:${thing.id}:${info.fieldName}:${this instanceof ThingResolver}`;
  }

  @FieldResolver(() => String)
  prefixOnly(@Ctx("prefix") prefix: string): string {
    return prefix;
  }

  /** A root typed by its class: type-graphql makes an instance of it, so this stays type-graphql's. */
  @FieldResolver(() => Boolean)
  isInstance(@Root() thing: ThingObject): boolean {
    return thing instanceof ThingObject;
  }

  @Authorized("ADMIN")
  @FieldResolver(() => String)
  secret(@Root() thing: ThingObject): string {
    return `secret of ${thing.id}`;
  }

  @FieldResolver(() => String)
  repeated(@Root() thing: ThingObject, @Arg("times", () => Int) times: number): string {
    return thing.id.repeat(times);
  }
}

describe("field resolvers called directly", () => {
  const run = async (source: string, contextValue: ThingContext) => {
    const schema = await buildGatewaySchema(
      [new ThingResolver()],
      ({ context }) => (context as unknown as ThingContext).allowed,
    );
    return graphql({ schema, source, contextValue });
  };

  it("answer as type-graphql's resolvers do (root, context or one of its properties, info, in order), and leave a typed root to it", async () => {
    const result = await run("{ thing { id label prefixOnly isInstance repeated(times: 2) } }", {
      prefix: "p",
      allowed: true,
    });
    expect(result).toEqual({
      data: { thing: { id: "t1", label: "p:t1:label:true", prefixOnly: "p", isInstance: true, repeated: "t1t1" } },
    });
  });

  it("leave a field with roles to type-graphql, so its auth check still runs", async () => {
    expect((await run("{ thing { secret } }", { prefix: "p", allowed: true })).data).toEqual({
      thing: { secret: "secret of t1" },
    });
    const refused = await run("{ thing { secret } }", { prefix: "p", allowed: false });
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.message).toMatch(/Access denied/);
  });

  it("run without type-graphql's per-call sort of the parameter list", async () => {
    const schema = await buildGatewaySchema([new ThingResolver()], () => true);
    const sorts = jest.spyOn(Array.prototype, "sort");
    try {
      const contextValue: ThingContext = { prefix: "p", allowed: true };
      await graphql({ schema, source: "{ thing { id } }", contextValue });
      const withoutFields = sorts.mock.calls.length;
      sorts.mockClear();
      await graphql({ schema, source: "{ thing { id label prefixOnly } }", contextValue });
      expect(sorts.mock.calls.length).toBe(withoutFields);
    } finally {
      sorts.mockRestore();
    }
  });
});
