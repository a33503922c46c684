import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
} from "graphql";
import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { AMEX, VISA, addProducts, assignOrder, orderInput, placeOrder } from "./support/orders-fixtures";
import { ADMIN, LOGIN, REGISTER, signedInAdmin, startTestGateway, type TestGateway } from "./support/test-gateway";

/**
 * A schema-driven fuzzer: operations generated from the committed schema.graphql (random
 * selections, arguments of the right and the wrong types, hostile strings, nulls, deep nesting,
 * 1 000 aliases, fragment cycles, batches, unknown persisted queries) sent by every kind of caller,
 * two of each, each holding data with a marker of its own. No answer may be a 5xx or an
 * INTERNAL_SERVER_ERROR, show a stack trace or SQL, or hold a marker its caller may not see.
 *
 * `FUZZ_SEED` and `FUZZ_OPERATIONS` override the seed and the count, to reproduce a failure.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const OPERATIONS = Number(process.env.FUZZ_OPERATIONS ?? 5_400);
const CONCURRENCY = 6;

const schema = buildSchema(readFileSync(join(__dirname, "..", "schema.graphql"), "utf8"));

/**
 * Mutations left out: they change who a caller is or what it may see (sign in and out, roles,
 * assignments, erasure), which would make the leak check wrong rather than find anything.
 */
const SKIPPED_MUTATIONS = new Set([
  "register",
  "login",
  "completeLogin",
  "finishPasskeyLogin",
  "logout",
  "closeAccount",
  "changePassword",
  "disableTotp",
  "requestPasswordReset",
  "resetPassword",
  "revokeSession",
  "revokeOtherSessions",
  "updateProfile",
  "updateUser",
  "setUserRole",
  "setPartnerActive",
  "revokePartnerApiKey",
  "assignOrder",
  "completePrivacyRequest",
]);

// ---------------------------------------------------------------------------------------------
// Values

/** Real ids of the seeded data, so that some operations reach past "not found". */
const knownIds: string[] = [];

const HOSTILE_STRINGS = [
  "",
  " ",
  "a",
  "\u0000",
  "nul\u0000inside",
  "\ud800",
  "lone \udfff surrogate",
  "\udbff\udfff",
  "\u202eevil\u202c",
  "שלום עולם",
  "مرحبا",
  "👩‍👩‍👧‍👦",
  "🏳️‍🌈",
  "e\u0301\u0301\u0301",
  "\ufeffbom",
  "\r\n\t",
  "'; DROP TABLE user; --",
  '" OR 1=1 --',
  "\\",
  "%s%n%x",
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
  "../../../etc/passwd",
  "a@b.co",
  " Mixed@Example.TEST ",
  "https://example.org/x",
  "javascript:alert(1)",
  "GB",
  "+44 20 7946 0000",
  "00000000-0000-0000-0000-000000000000",
  "2026-12-04T12:00:00.000Z",
  "2026-02-30",
  "hpk_not-a-real-key",
  "x".repeat(256),
  "é".repeat(2_000),
  "𝕏".repeat(10_000),
  "x".repeat(200_000),
];

const stringValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  // Any UTF-16 code unit, lone surrogates included.
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      maxLength: 20,
    }),
  },
);

const idValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.nat().map((i) => knownIds[i % Math.max(1, knownIds.length)] ?? "") },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: stringValue },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

const intValue = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 20, 99, 100, 101, 1000, 2_147_483_647, -2_147_483_648),
  fc.integer(),
);

const SCALARS: Record<string, fc.Arbitrary<unknown>> = {
  String: stringValue,
  ID: idValue,
  Int: intValue,
  Float: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), intValue),
  Boolean: fc.boolean(),
  DateTime: fc.oneof(
    fc.constantFrom("2026-12-04T12:00:00.000Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-13-45T00:00:00Z"),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    stringValue,
  ),
  Date: fc.oneof(fc.constantFrom("2026-12-04", "2026-02-29", "2024-02-29", "0000-01-01", "2026-1-1"), stringValue),
};

/** A JSON value of any type: what a wrong-typed argument is made of. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2_147_483_648, 1e308, "", "NOPE", [], {}, [null], { x: 1 }),
  stringValue,
  fc.jsonValue({ maxDepth: 3 }),
);

/** A value for this input type; `wrong` is the chance of a wrong type at each level. */
function inputValue(type: GraphQLInputType, depth: number, wrong: number): fc.Arbitrary<unknown> {
  const right = rightValue(type, depth, wrong);
  if (wrong <= 0) return right;
  return fc.oneof(
    { weight: Math.round((1 - wrong) * 100), arbitrary: right },
    { weight: Math.round(wrong * 100), arbitrary: wrongValue },
  );
}

function rightValue(type: GraphQLInputType, depth: number, wrong: number): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return inputValue(type.ofType, depth, wrong);
  if (isListType(type)) {
    if (depth <= 0) return fc.constant([]);
    return fc.array(inputValue(type.ofType, depth - 1, wrong), { maxLength: 4 });
  }
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((v) => v.name));
  if (isScalarType(type)) return SCALARS[type.name] ?? stringValue;
  if (isInputObjectType(type)) {
    if (depth <= 0) return fc.constant({});
    const fields = Object.values(type.getFields());
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of fields) record[field.name] = inputValue(field.type, depth - 1, wrong);
    const required = fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined).map((f) => f.name);
    // Mostly every required field, sometimes some left out; sometimes a field the type does not have.
    return fc
      .tuple(
        fc.record(record, { requiredKeys: [] }),
        fc.boolean(),
        fc.option(fc.constantFrom("role", "isAdmin", "__proto__", "userId"), { freq: 8 }),
      )
      .chain(([value, keepRequired, extra]) =>
        fc
          .record(Object.fromEntries(required.map((name) => [name, record[name]!])), {
            requiredKeys: keepRequired && wrong < 0.5 ? required : [],
          })
          .map((requiredValues) => {
            const result: Record<string, unknown> = { ...value, ...requiredValues };
            if (extra) result[extra] = "ADMIN";
            return result;
          }),
      );
  }
  return stringValue;
}

/** A value written as a GraphQL literal (for arguments inlined in the document). */
function literal(value: unknown, type: GraphQLInputType): string {
  const named = getNamedType(type);
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) {
    const nullable = isNonNullType(type) ? type.ofType : type;
    const item = isListType(nullable) ? (nullable.ofType as GraphQLInputType) : type;
    return `[${value.map((v) => literal(v, item)).join(", ")}]`;
  }
  if (typeof value === "object") {
    const fields = isInputObjectType(named) ? named.getFields() : {};
    return `{ ${Object.entries(value as Record<string, unknown>)
      .filter(([k]) => /^[_A-Za-z]\w*$/.test(k))
      .map(([k, v]) => `${k}: ${literal(v, fields[k]?.type ?? named)}`)
      .join(", ")} }`;
  }
  if (typeof value === "string" && isEnumType(named) && /^[_A-Za-z]\w*$/.test(value)) return value;
  if (typeof value === "number" && !Number.isFinite(value)) return "0";
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Operations

interface Built {
  text: string;
  variables: Record<string, unknown>;
}

/** Arguments of a field: inlined as literals or passed as variables, some left out. */
function argumentsFor(args: readonly GraphQLArgument[], wrong: number, asVariables: boolean) {
  if (args.length === 0) return fc.constant({ text: "", variables: {}, definitions: [] as string[] });
  return fc
    .tuple(
      ...args.map((arg) =>
        fc.tuple(fc.constant(arg), inputValue(arg.type, 4, wrong), fc.double({ min: 0, max: 1, noNaN: true })),
      ),
    )
    .map((values) => {
      const parts: string[] = [];
      const definitions: string[] = [];
      const variables: Record<string, unknown> = {};
      for (const [arg, value, dice] of values) {
        // Optional arguments are left out half the time; required ones now and then.
        if (dice < (isNonNullType(arg.type) ? 0.03 : 0.5)) continue;
        if (asVariables) {
          const name = `${arg.name}_${Object.keys(variables).length}`;
          definitions.push(`$${name}: ${String(arg.type)}`);
          variables[name] = value;
          parts.push(`${arg.name}: $${name}`);
        } else {
          parts.push(`${arg.name}: ${literal(value, arg.type)}`);
        }
      }
      return { text: parts.length > 0 ? `(${parts.join(", ")})` : "", variables, definitions };
    });
}

interface Selection {
  text: string;
  variables: Record<string, unknown>;
  definitions: string[];
}

const merge = (parts: Selection[]): Selection => ({
  text: parts.map((p) => p.text).join(" "),
  variables: Object.assign({}, ...parts.map((p) => p.variables)),
  definitions: parts.flatMap((p) => p.definitions),
});

/** A selection set on an object, interface or union type, `depth` levels at most. */
function selectionOf(
  type: GraphQLNamedType,
  depth: number,
  wrong: number,
  asVariables: boolean,
): fc.Arbitrary<Selection> {
  if (isUnionType(type) || isInterfaceType(type)) {
    const possible = schema.getPossibleTypes(type);
    return fc
      .subarray([...possible], { minLength: 1, maxLength: Math.min(2, possible.length) })
      .chain((types) =>
        fc.tuple(
          ...types.map((t) =>
            selectionOf(t, depth, wrong, asVariables).map((s) => ({ ...s, text: `... on ${t.name} { ${s.text} }` })),
          ),
        ),
      )
      .map((parts) => merge([{ text: "__typename", variables: {}, definitions: [] }, ...parts]));
  }
  if (!isObjectType(type)) return fc.constant({ text: "", variables: {}, definitions: [] });
  const fields = Object.values(type.getFields()).filter((f) => depth > 1 || isLeaf(f.type));
  if (fields.length === 0) return fc.constant({ text: "__typename", variables: {}, definitions: [] });
  return fc
    .subarray(fields, { minLength: 1, maxLength: Math.min(5, fields.length) })
    .chain((chosen) => fc.tuple(...chosen.map((field) => fieldSelection(field, depth, wrong, asVariables))))
    .map(merge);
}

function isLeaf(type: GraphQLOutputType): boolean {
  const named = getNamedType(type);
  return isScalarType(named) || isEnumType(named);
}

function fieldSelection(
  field: GraphQLField<unknown, unknown>,
  depth: number,
  wrong: number,
  asVariables: boolean,
): fc.Arbitrary<Selection> {
  const named = getNamedType(field.type);
  const sub = isLeaf(field.type)
    ? fc.constant<Selection>({ text: "", variables: {}, definitions: [] })
    : selectionOf(named, depth - 1, wrong, asVariables);
  return fc
    .tuple(argumentsFor(field.args, wrong, asVariables), sub, fc.option(fc.integer({ min: 0, max: 99 }), { freq: 4 }))
    .map(([args, selection, alias]) => {
      const head = `${alias === null ? "" : `x${alias}: `}${field.name}${args.text}`;
      return {
        text: isLeaf(field.type) ? head : `${head} { ${selection.text} }`,
        variables: { ...args.variables, ...selection.variables },
        definitions: [...args.definitions, ...selection.definitions],
      };
    });
}

/** One operation on a root type from the schema. */
function schemaOperation(kind: "query" | "mutation", wrong: number): fc.Arbitrary<Built> {
  const root = (kind === "query" ? schema.getQueryType() : schema.getMutationType()) as GraphQLObjectType;
  const fields = Object.values(root.getFields()).filter((f) => kind === "query" || !SKIPPED_MUTATIONS.has(f.name));
  return fc
    .tuple(
      fc.subarray(fields, { minLength: 1, maxLength: kind === "query" ? 3 : 1 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 5 }),
    )
    .chain(([chosen, asVariables, depth]) =>
      fc.tuple(...chosen.map((f) => fieldSelection(f, depth, wrong, asVariables))).map((parts) => {
        const all = merge(parts);
        // The same variable name twice (two root fields) would be a validation error anyway.
        const definitions = all.definitions.length > 0 ? `(${all.definitions.join(", ")})` : "";
        return { text: `${kind} Fuzz${definitions} { ${all.text} }`, variables: all.variables };
      }),
    );
}

/** The special cases: each an abuse of the query language or of the transport. */
const abuse: fc.Arbitrary<{ body: string | Buffer; note: string }> = fc.oneof(
  fc
    .constantFrom(
      "me { id email name }",
      "__typename",
      "articles(first: 100) { nodes { id title body } }",
      "privacyPolicy { version }",
    )
    .map((field) => ({
      note: "1000 aliases",
      body: JSON.stringify({ query: `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: ${field}`).join(" ")} }` }),
    })),
  fc.integer({ min: 20, max: 3_000 }).map((n) => ({
    note: "deep inline fragments",
    body: JSON.stringify({ query: `{ me { ${"... on User { ".repeat(n)}id${" }".repeat(n)} } }` }),
  })),
  fc.integer({ min: 20, max: 5_000 }).map((n) => ({
    note: "deep selection",
    body: JSON.stringify({ query: `{ ${"me { ".repeat(n)}id${" }".repeat(n)} }` }),
  })),
  fc.integer({ min: 50, max: 20_000 }).map((n) => ({
    note: "deep list literal",
    body: JSON.stringify({ query: `{ article(slug: ${"[".repeat(n)}"x"${"]".repeat(n)}) { id } }` }),
  })),
  fc.integer({ min: 50, max: 20_000 }).map((n) => ({
    note: "deep variable",
    body: `{"query":"mutation ($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }","variables":{"i":{"lines":${"[".repeat(n)}1${"]".repeat(n)}}}}`,
  })),
  fc
    .constantFrom(
      "query { me { ...A } } fragment A on User { ...B } fragment B on User { ...A }",
      "query { me { ...A } } fragment A on User { id ...A }",
      "query { me { ...Missing } }",
      "query A { me { id } } query A { me { id } }",
      "query A { me { id } } query B { me { id } }",
      "subscription { me { id } }",
      "{ me { id } ",
      "{ me { passwordHash } }",
      "{ __schema { types { name fields { name args { name } } } } }",
      '{ __type(name: "User") { fields { name } } }',
      'query ($a: Int = "x") { articles(first: $a) { nodes { id } } }',
      "query ($a: NoSuchType) { me { id } }",
      "{ me @skip(if: true) @include(if: false) @deprecated { id } }",
      "{ me { id @nosuch } }",
      "mutation { placeOrder }",
      "{ articles(first: 2147483648) { nodes { id } } }",
      "{ articles(first: 1.5e400) { nodes { id } } }",
    )
    .map((query) => ({ note: "language", body: JSON.stringify({ query }) })),
  fc
    .array(fc.constantFrom({ query: "{ me { id } }" }, { query: "{ __typename }" }, {}), {
      minLength: 0,
      maxLength: 20,
    })
    .map((batch) => ({
      note: "batch",
      body: JSON.stringify(batch),
    })),
  fc
    .tuple(fc.stringMatching(/^[0-9a-f]{64}$/), fc.constantFrom(1, 2, "1", null), fc.boolean())
    .map(([hash, version, withQuery]) => ({
      note: "persisted query",
      body: JSON.stringify({
        ...(withQuery ? { query: "{ me { id } }" } : {}),
        extensions: { persistedQuery: { version, sha256Hash: hash } },
      }),
    })),
  fc.jsonValue({ maxDepth: 4 }).map((value) => ({ note: "any JSON", body: JSON.stringify(value) ?? "null" })),
  fc
    .tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }))
    .map(([query, variables, operationName]) => ({
      note: "odd fields",
      body: JSON.stringify({ query, variables, operationName }),
    })),
  fc.constantFrom(2_000_000, 600_000).map((n) => ({
    note: "huge string",
    body: JSON.stringify({
      query: "query ($s: String!) { article(slug: $s) { id } }",
      variables: { s: "x".repeat(n) },
    }),
  })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ note: "random bytes", body: Buffer.from(bytes) })),
);

interface FuzzCase {
  caller: number;
  note: string;
  body: string | Buffer;
}

function fuzzCases(callers: number): FuzzCase[] {
  const operation = fc
    .oneof(
      { weight: 45, arbitrary: schemaOperation("query", 0).map((o) => ({ note: "query", o })) },
      { weight: 15, arbitrary: schemaOperation("query", 0.25).map((o) => ({ note: "query, wrong types", o })) },
      { weight: 20, arbitrary: schemaOperation("mutation", 0).map((o) => ({ note: "mutation", o })) },
      { weight: 10, arbitrary: schemaOperation("mutation", 0.25).map((o) => ({ note: "mutation, wrong types", o })) },
    )
    .map(({ note, o }) => ({
      note,
      body: JSON.stringify({ query: o.text, variables: o.variables }) as string | Buffer,
    }));
  const anything = fc.oneof({ weight: 9, arbitrary: operation }, { weight: 1, arbitrary: abuse });
  return fc
    .sample(fc.tuple(fc.nat(callers * 1000), anything), { seed: SEED, numRuns: OPERATIONS })
    .map(([caller, c]) => ({ caller: caller % callers, note: c.note, body: c.body }));
}

// ---------------------------------------------------------------------------------------------
// Callers and what each may see

type CallerKind = "anonymous" | "customer" | "partner" | "SUPPORT" | "MARKETING" | "SECURITY" | "ADMIN";

interface Caller {
  name: string;
  kind: CallerKind;
  client: GraphQLTestClient;
  /** Markers of data this caller must never be shown. */
  forbidden: string[];
}

/** Lower-case markers that occur nowhere but in the seeded data they stand for. */
const marker = (what: string) => `qz${what}${SEED.toString(36)}`;

/** Things nobody is ever shown back. */
const SECRETS_FOR_ALL = (secrets: string[]) => [VISA.digits, AMEX.digits, ...secrets];

/** Whether this body shows a stack trace or SQL. */
function internals(body: string): string | undefined {
  const patterns = [
    /\bat (?:async )?[\w$.<>]+ \([^)]*:\d+:\d+\)/,
    /"stacktrace"/,
    /\bSELECT\b[^"]{0,200}\bFROM\b/i,
    /\bINSERT INTO\b|\bUPDATE `|\bDELETE FROM\b/i,
    /\bER_[A-Z_]{4,}\b|\bSQLITE_[A-Z]+\b|QueryFailedError|EntityNotFound|TypeORMError/,
    /node_modules|\/work\/|\.ts:\d+/,
  ];
  return patterns.find((p) => p.test(body))?.source;
}

describe.each(testDatabaseKinds())("schema-driven fuzzing on %s", (kind) => {
  let t: TestGateway;
  const callers: Caller[] = [];

  beforeAll(async () => {
    t = await startTestGateway(kind, { LOG_LEVEL: "warn" });
    const admin = await signedInAdmin(t);
    const skus = await addProducts(admin, [
      { kind: "LICENCE", priceMinor: 1000 },
      { kind: "SERVICE", priceMinor: 2500 },
    ]);
    const secrets: string[] = [];

    // Two partners, each with a key.
    const partners = [];
    for (const letter of ["a", "b"]) {
      const name = marker(`partner${letter}`);
      const created = await admin.ok<{ createPartner: { id: string } }>(
        `mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { id } }`,
        { input: { name: `${name} Reseller`, contactEmail: `${name}@partner.example` } },
      );
      const issued = await admin.ok<{ issuePartnerApiKey: { secret: string } }>(
        `mutation ($id: ID!) { issuePartnerApiKey(partnerId: $id) { secret } }`,
        { id: created.createPartner.id },
      );
      secrets.push(issued.issuePartnerApiKey.secret);
      knownIds.push(created.createPartner.id);
      partners.push({ letter, name, id: created.createPartner.id, secret: issued.issuePartnerApiKey.secret });
    }

    // Two customers, each with an order a partner is assigned (its contact shared with that partner)
    // and one that no partner sees, paid with a saved card.
    const customers = [];
    for (const [i, letter] of ["a", "b"].entries()) {
      const client = t.client();
      const password = `${marker(`password${letter}`)} horse battery`;
      secrets.push(password);
      const account = marker(`customer${letter}`);
      const registered = await client.ok<{ register: { user: { id: string } } }>(REGISTER, {
        input: {
          email: `${account}@example.test`,
          password,
          name: `${account} Person`,
          organisation: `${account} Ltd`,
        },
      });
      knownIds.push(registered.register.user.id);
      const card = i === 0 ? VISA : AMEX;
      const payment = {
        cardNumber: card.number,
        expiryMonth: 12,
        expiryYear: 2030,
        cvc: card.cvc,
        cardholderName: "CARD HOLDER",
      };
      const contact = (what: string) => ({
        name: `${marker(`${what}${letter}`)} Contact`,
        email: `${marker(`${what}${letter}`)}@example.test`,
        phone: "+44 20 7946 0000",
        organisation: null,
        address: {
          line1: `${marker(`${what}${letter}`)} Street`,
          line2: null,
          city: "London",
          postcode: "SW1Y 4JH",
          country: "GB",
        },
      });
      const shared = await placeOrder(
        client,
        orderInput([skus[0]!], { contact: contact("shared"), payment, saveBillingDetails: true }),
      );
      const own = await placeOrder(client, orderInput([skus[1]!], { contact: contact("private"), payment }));
      await assignOrder(admin, shared.id, partners[i]!.id);
      knownIds.push(shared.id, own.id);
      customers.push({ letter, client, userId: registered.register.user.id });
    }
    const saved = await customers[0]!.client
      .ok<{ me: { savedPaymentMethods: { id: string }[] } | null }>("{ me { savedPaymentMethods { id } } }")
      .catch(() => ({ me: null }));
    for (const method of saved.me?.savedPaymentMethods ?? []) knownIds.push(method.id);

    // Two of each staff role (the configured ADMIN is one of the admins).
    const staff: { role: CallerKind; n: number; client: GraphQLTestClient }[] = [
      { role: "ADMIN", n: 1, client: admin },
    ];
    for (const role of ["SUPPORT", "MARKETING", "SECURITY", "ADMIN"] as const) {
      for (const n of role === "ADMIN" ? [2] : [1, 2]) {
        const client = t.client();
        const name = marker(`staff${role.toLowerCase()}${n}`);
        const password = `${name} staff password`;
        secrets.push(password);
        const registered = await client.ok<{ register: { user: { id: string } } }>(REGISTER, {
          input: { email: `${name}@honour.test`, password, name },
        });
        await admin.ok(`mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id } }`, {
          id: registered.register.user.id,
          role,
        });
        await client.ok(LOGIN, { input: { email: `${name}@honour.test`, password } });
        knownIds.push(registered.register.user.id);
        staff.push({ role, n, client });
      }
    }
    secrets.push(ADMIN.password);

    const everything = (letter: string) => [
      marker(`customer${letter}`),
      marker(`shared${letter}`),
      marker(`private${letter}`),
    ];
    const staffMarkers = staff.filter((s) => s !== staff[0]).map((s) => marker(`staff${s.role.toLowerCase()}${s.n}`));
    const allSecrets = SECRETS_FOR_ALL(secrets);
    callers.push({
      name: "anonymous",
      kind: "anonymous",
      client: t.client(),
      forbidden: [
        ...everything("a"),
        ...everything("b"),
        marker("partnera"),
        marker("partnerb"),
        ...staffMarkers,
        ...allSecrets,
      ],
    });
    for (const { letter, client } of customers) {
      const other = letter === "a" ? "b" : "a";
      callers.push({
        name: `customer ${letter}`,
        kind: "customer",
        client,
        forbidden: [...everything(other), marker(`partner${other}`), ...staffMarkers, ...allSecrets],
      });
    }
    for (const partner of partners) {
      const other = partner.letter === "a" ? "b" : "a";
      callers.push({
        name: `partner ${partner.letter}`,
        kind: "partner",
        client: t.client({ authorization: `Bearer ${partner.secret}` }),
        forbidden: [
          marker("customera"),
          marker("customerb"),
          marker("privatea"),
          marker("privateb"),
          marker(`shared${other}`),
          marker(`partner${other}`),
          ...staffMarkers,
          ...allSecrets,
        ],
      });
    }
    for (const s of staff) {
      // SUPPORT and ADMIN serve customers and may read their accounts and orders; MARKETING and
      // SECURITY never see an order's contact.
      const contacts = ["a", "b"].flatMap((l) => [marker(`shared${l}`), marker(`private${l}`)]);
      callers.push({
        name: `${s.role} ${s.n}`,
        kind: s.role,
        client: s.client,
        forbidden: s.role === "MARKETING" || s.role === "SECURITY" ? [...contacts, ...allSecrets] : allSecrets,
      });
    }
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    knownIds.length = 0;
  });

  it(`answers ${OPERATIONS} generated operations without a 5xx, internals or another's data`, async () => {
    const cases = fuzzCases(callers.length);
    const startedAt = Date.now();
    const figures = { sent: 0, status5xx: 0, internalErrors: 0, internals: 0, leaks: 0 };
    const examples: string[] = [];
    const seen = new Set<string>();
    const note = (what: string, c: FuzzCase, status: number, body: string) => {
      // One example of each kind of failure is enough to reproduce it.
      const key = `${what} ${c.note}`;
      if (!seen.has(key) && examples.length < 12) {
        seen.add(key);
        const sent = typeof c.body === "string" ? c.body : `<${c.body.length} bytes>`;
        examples.push(
          `${what} [${callers[c.caller]!.name}, ${c.note}] ${status}\n  sent: ${sent.slice(0, 400)}\n  got:  ${body.slice(0, 400)}`,
        );
      }
    };

    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const caller = callers[c.caller]!;
        const response = await caller.client.fetch("/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: c.body,
        });
        const body = await response.text();
        figures.sent += 1;
        if (response.status >= 500) {
          figures.status5xx += 1;
          note("5xx", c, response.status, body);
        }
        if (body.includes('"INTERNAL_SERVER_ERROR"')) {
          figures.internalErrors += 1;
          note("INTERNAL_SERVER_ERROR", c, response.status, body);
        }
        const shown = internals(body);
        if (shown) {
          figures.internals += 1;
          note(`internals (${shown})`, c, response.status, body);
        }
        const lower = body.toLowerCase();
        const leaked = caller.forbidden.filter((m) => lower.includes(m.toLowerCase()));
        if (leaked.length > 0) {
          figures.leaks += 1;
          note(`leak of ${leaked.join(", ")}`, c, response.status, body);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    // One line per database, for the CI log.
    console.log(
      `fuzz ${kind}: seed ${SEED}, ${figures.sent} operations by ${callers.length} callers in ${seconds} s; ` +
        `5xx ${figures.status5xx}, INTERNAL_SERVER_ERROR ${figures.internalErrors}, stack trace or SQL ${figures.internals}, ` +
        `another's data ${figures.leaks}` +
        (examples.length > 0 ? `\n${examples.join("\n")}` : ""),
    );
    expect(figures.sent).toBe(OPERATIONS);
    expect(figures).toEqual({ sent: OPERATIONS, status5xx: 0, internalErrors: 0, internals: 0, leaks: 0 });
  }, 300_000);
});
