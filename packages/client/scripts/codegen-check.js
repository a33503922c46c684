// Fails when src/generated/ is not what the schema and the documents generate now: a schema
// change that breaks a shipped document (it no longer validates) or changes its types, or a
// document whose trusted-documents manifest entry (persisted-documents.json) was not regenerated.
const { mkdtempSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { execFileSync } = require("node:child_process");

const PACKAGE = join(__dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "honour-client-codegen-"));
try {
  try {
    execFileSync(process.execPath, [join(__dirname, "codegen.js"), dir], { stdio: ["ignore", "inherit", "pipe"] });
  } catch (error) {
    console.error(`codegen failed: a document in src/documents does not match apps/gateway/schema.graphql.`);
    console.error(String(error.stderr ?? error.message));
    process.exit(1);
  }
  for (const file of ["graphql.ts", "persisted-documents.json", "persisted-documents.ts"]) {
    const fresh = readFileSync(join(dir, file), "utf8");
    let committed = "";
    try {
      committed = readFileSync(join(PACKAGE, "src", "generated", file), "utf8");
    } catch {
      // Missing counts as different.
    }
    if (fresh !== committed) {
      const a = committed.split("\n");
      const b = fresh.split("\n");
      const line = a.findIndex((text, i) => text !== b[i]);
      console.error(
        `src/generated/${file} is stale (first difference at line ${line + 1}).\n` +
          `  committed: ${a[line] ?? "<end of file>"}\n  generated: ${b[line] ?? "<end of file>"}\n` +
          "Run `npm run codegen -w @honour/client`, review the change to the shipped types and trusted documents, " +
          "and commit it.",
      );
      process.exit(1);
    }
  }
  console.log("codegen: src/generated is up to date");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
