// The trusted-documents manifest, in one place for every codegen that writes one: this package's
// scripts/codegen.js and apps/console's scripts/codegen.mjs (which imports it as
// `@honour/client/codegen`). The gateway accepts a document by the id computed here, so the
// client's and the console's manifests must be made the same way.
const { createHash } = require("node:crypto");
const { Kind, print, visit } = require("graphql");

/**
 * The trusted documents of parsed document files (`{ document }[]`): each operation with the
 * fragments it uses (transitively, in order of first use), printed by graphql-js, under the id
 * `sha256:<hex of the text>` (the GraphQL-over-HTTP persisted documents convention; the hex alone
 * is also the operation's APQ hash).
 *
 * @returns {{ manifest: string, ids: [string, string][] }} the manifest file's text
 *   (`{ "sha256:<hex>": "<document>" }`, as the gateway loads it) and each generated `…Document`
 *   export's name with its id, in name order.
 */
function trustedDocuments(documents) {
  const definitions = documents.flatMap((d) => d.document.definitions);
  const fragments = new Map(
    definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const manifest = {};
  const ids = [];
  for (const operation of definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
    const used = [];
    const collect = (node) =>
      visit(node, {
        FragmentSpread(spread) {
          const fragment = fragments.get(spread.name.value);
          if (fragment && !used.includes(fragment)) {
            used.push(fragment);
            collect(fragment);
          }
        },
      });
    collect(operation);
    const text = print({ kind: Kind.DOCUMENT, definitions: [operation, ...used] });
    const id = `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;
    manifest[id] = text;
    ids.push([`${operation.name.value}Document`, id]);
  }
  ids.sort(([a], [b]) => a.localeCompare(b));
  return { manifest: `${JSON.stringify(manifest, null, 2)}\n`, ids };
}

module.exports = { trustedDocuments };
