import "reflect-metadata";
import { ArrayMaxSize, IsEmail, MaxLength, Min, ValidateNested } from "class-validator";
import { graphql, type GraphQLSchema } from "graphql";
import {
  Arg,
  Args,
  ArgsType,
  ArgumentValidationError,
  buildSchema,
  Field,
  InputType,
  Int,
  Mutation,
  Query,
  Resolver,
} from "type-graphql";
import { keepArgumentsUnvalidated } from "./argument-validation";
import { buildGatewaySchema } from "./schema";

@InputType("ValidationItemInput")
class ItemInput {
  @Field()
  @MaxLength(5)
  name!: string;

  @Field(() => Int, { nullable: true })
  @Min(1)
  count?: number;
}

@InputType("ValidationContactInput")
class ContactInput {
  @Field()
  @IsEmail()
  email!: string;
}

@ArgsType()
class ItemsArgs {
  @Field(() => [ItemInput])
  @ArrayMaxSize(2)
  @ValidateNested()
  items!: ItemInput[];
}

@Resolver()
class ValidationResolver {
  @Query(() => Int)
  items(@Args(() => ItemsArgs) { items }: ItemsArgs): number {
    return items.length;
  }

  @Query(() => String)
  contact(@Arg("input", () => ContactInput) input: ContactInput): string {
    return input.email;
  }

  @Query(() => Int)
  listed(@Arg("inputs", () => [ItemInput]) inputs: ItemInput[]): number {
    return inputs.length;
  }

  @Query(() => String)
  scalar(@Arg("name", () => String, { nullable: true }) name?: string): string {
    return name ?? "none";
  }

  /** Its service checks it (with its own codes), as the gateway's `validate: false` arguments do. */
  @Mutation(() => String)
  unchecked(@Arg("input", () => ContactInput, { validate: false }) input: ContactInput): string {
    return `as sent: ${input.email}`;
  }
}

interface Failed {
  property: string;
  constraints?: Record<string, string>;
  children?: Failed[];
}

/** A class-validator error, its nested ones included (each item of a list is a child). */
function failed(error: Failed): Failed {
  return {
    property: error.property,
    ...(error.constraints ? { constraints: error.constraints } : {}),
    ...(error.children?.length ? { children: error.children.map(failed) } : {}),
  };
}

/** What each query answers: the data, or the messages of the constraints that failed. */
async function outcome(schema: GraphQLSchema, source: string) {
  const result = await graphql({ schema, source });
  const error = result.errors?.[0];
  if (!error) return { data: result.data };
  const original = error.originalError;
  return {
    error: original?.constructor.name,
    constraints:
      original instanceof ArgumentValidationError ? original.extensions.validationErrors.map(failed) : error.message,
  };
}

const CASES = [
  '{ items(items: [{ name: "ok", count: 2 }]) }',
  '{ items(items: [{ name: "far too long", count: 0 }]) }',
  '{ items(items: [{ name: "a" }, { name: "b" }, { name: "c" }]) }',
  '{ contact(input: { email: "someone@example.com" }) }',
  '{ contact(input: { email: "not an address" }) }',
  '{ listed(inputs: [{ name: "ok" }, { name: "too long" }]) }',
  "{ listed(inputs: []) }",
  '{ scalar(name: "x") }',
  "{ scalar }",
  'mutation { unchecked(input: { email: "not an address" }) }',
];

describe("argument validation", () => {
  it("gives every answer and error that type-graphql's own validation gives, with validate: false kept", async () => {
    // type-graphql's own first: the gateway's schema gives `validate: false` arguments their own
    // function, in type-graphql's metadata.
    const typeGraphQL = await buildSchema({
      resolvers: [ValidationResolver],
      authChecker: () => true,
      validate: { forbidUnknownValues: false, stopAtFirstError: false },
    });
    const expected = [];
    for (const source of CASES) expected.push(await outcome(typeGraphQL, source));
    const gateway = await buildGatewaySchema([new ValidationResolver()], () => true);
    const outcomes = [];
    for (const source of CASES) outcomes.push(await outcome(gateway, source));
    expect(outcomes).toEqual(expected);
    // And the outcomes are the ones a client needs: nothing here passes by accident.
    expect(outcomes.map((o) => ("data" in o ? "ok" : o.error))).toEqual([
      "ok",
      "ArgumentValidationError",
      "ArgumentValidationError",
      "ok",
      "ArgumentValidationError",
      "ArgumentValidationError",
      "ok",
      "ok",
      "ok",
      "ok",
    ]);
    expect(outcomes[1]).toEqual({
      error: "ArgumentValidationError",
      constraints: [
        {
          property: "items",
          children: [
            {
              property: "0",
              children: [
                { property: "name", constraints: { maxLength: "name must be shorter than or equal to 5 characters" } },
                { property: "count", constraints: { min: "count must not be less than 1" } },
              ],
            },
          ],
        },
      ],
    });
    expect(outcomes[9]).toEqual({ data: { unchecked: "as sent: not an address" } });
  });

  it("refuses, at start-up, per-argument validation options the schema-wide function would ignore", () => {
    @Resolver()
    class OptionsResolver {
      @Query(() => String)
      withOptions(
        @Arg("input", () => ContactInput, { validate: { skipMissingProperties: false } }) input: ContactInput,
      ) {
        return input.email;
      }
    }
    expect(OptionsResolver).toBeDefined();
    expect(() => keepArgumentsUnvalidated()).toThrow(
      /OptionsResolver\.withOptions: per-argument validation options are not supported/,
    );
  });
});
