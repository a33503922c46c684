import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kind, buildSchema, parse, validate, type DocumentNode, type OperationDefinitionNode } from "graphql";

const PACKAGE = join(__dirname, "..");
const SCHEMA_FILE = join(PACKAGE, "..", "..", "apps", "gateway", "schema.graphql");
const DOCUMENTS = join(PACKAGE, "src", "documents");
const CODEGEN = join(PACKAGE, "scripts", "codegen.js");

function documents(): { file: string; text: string }[] {
  return readdirSync(DOCUMENTS)
    .filter((file) => file.endsWith(".graphql"))
    .map((file) => ({ file, text: readFileSync(join(DOCUMENTS, file), "utf8") }));
}

/** Every shipped document as one, as codegen reads them (fragments are shared across files). */
function allDocuments(): DocumentNode {
  return parse(
    documents()
      .map((d) => d.text)
      .join("\n"),
  );
}

function operations(document: DocumentNode): OperationDefinitionNode[] {
  return document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
}

describe("the shipped documents", () => {
  it("all validate against the gateway's committed schema", () => {
    const schema = buildSchema(readFileSync(SCHEMA_FILE, "utf8"));
    const errors = validate(schema, allDocuments());
    expect(errors.map((error) => error.message)).toEqual([]);
  });

  it("are each named, once", () => {
    const names = operations(allDocuments()).map((operation) => operation.name?.value);
    expect(names).not.toContain(undefined);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        "Register",
        "Login",
        "Logout",
        "Me",
        "UpdateProfile",
        "ChangePassword",
        "PlaceOrder",
        "MyOrders",
        "Order",
        "CancelOrder",
        "MyPreferences",
        "SetPreferences",
        "RequestDataExport",
        "MyPrivacyRequests",
        "CloseAccount",
        "PartnerOrders",
        "MarkOrderFulfilled",
        "PartnerErasureNotices",
      ]),
    );
  });

  it("match the committed src/generated (what `npm run codegen:check` enforces)", () => {
    const run = spawnSync(process.execPath, [join(PACKAGE, "scripts", "codegen-check.js")], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  describe("against a schema that dropped a field they use", () => {
    let dir: string;
    let brokenSchema: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "honour-client-schema-"));
      const text = readFileSync(SCHEMA_FILE, "utf8");
      // As if the gateway renamed Order.totalMinor: every order document selects it.
      const broken = text.replace(/^(\s+)totalMinor: Int!$/gm, "$1totalPence: Int!");
      expect(broken).not.toBe(text);
      brokenSchema = join(dir, "schema.graphql");
      writeFileSync(brokenSchema, broken);
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("no longer validate", () => {
      const errors = validate(buildSchema(readFileSync(brokenSchema, "utf8")), allDocuments());
      expect(errors.map((error) => error.message)).toContainEqual(
        expect.stringContaining('Cannot query field "totalMinor" on type "Order".'),
      );
    });

    it("make codegen fail, so codegen:check (and npm test) fails", () => {
      const run = spawnSync(process.execPath, [CODEGEN, join(dir, "out"), "--schema", brokenSchema], {
        encoding: "utf8",
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain("totalMinor");
    });

    it("still generate from the real schema (the check is not always failing)", () => {
      execFileSync(process.execPath, [CODEGEN, join(dir, "fresh")]);
      expect(readFileSync(join(dir, "fresh", "graphql.ts"), "utf8")).toBe(
        readFileSync(join(PACKAGE, "src", "generated", "graphql.ts"), "utf8"),
      );
    });
  });
});
