import { createRequire } from "node:module";
import type { FastifyServerOptions } from "fastify";

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions["schemaController"]>["compilersFactory"]>;
type BuildValidator = NonNullable<CompilersFactory["buildValidator"]>;
type BuildSerializer = NonNullable<CompilersFactory["buildSerializer"]>;

/** Fastify's own dependencies, resolved from Fastify, so they are the versions it was made with. */
const fastifyRequire = createRequire(require.resolve("fastify"));
let validators: BuildValidator | undefined;
let serializers: BuildSerializer | undefined;

/**
 * Fastify's default schema compilers (`@fastify/ajv-compiler`,
 * `@fastify/fast-json-stringify-compiler`), loaded when a route first has a schema to compile
 * rather than when Fastify starts (issue 18, start-up): Fastify `require`s both in its
 * constructor, which is ajv, ajv-formats and fast-json-stringify, about 100 modules and 25–40 ms of
 * every start, and no route of the gateway has a JSON schema. Each factory is exactly the default
 * Fastify would make, made on first use.
 *
 * One difference, because Fastify counts these as custom compilers: a route's `headers` schema is
 * compiled as written, without Fastify lower-casing its property names, so write header names in
 * lower case (as Node gives them).
 */
export const deferredSchemaCompilers: CompilersFactory = {
  buildValidator: (externalSchemas, options) => {
    validators ??= (fastifyRequire("@fastify/ajv-compiler") as () => BuildValidator)();
    return validators(externalSchemas, options);
  },
  buildSerializer: (externalSchemas, options) => {
    serializers ??= (fastifyRequire("@fastify/fast-json-stringify-compiler") as () => BuildSerializer)();
    return serializers(externalSchemas, options);
  },
};
