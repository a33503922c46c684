import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PACKAGE = join(__dirname, "..");
const SCHEMA = join(PACKAGE, "..", "gateway", "schema.graphql");
const CODEGEN = join(PACKAGE, "scripts", "codegen.mjs");

describe("the console's typed documents", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "honour-console-codegen-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are valid against the committed schema", () => {
    expect(() => execFileSync(process.execPath, [CODEGEN, "--check"], { stdio: "pipe" })).not.toThrow();
  });

  it("fail the check when the schema drops a field a page uses", () => {
    const broken = join(dir, "schema.graphql");
    const schema = readFileSync(SCHEMA, "utf8");
    // Campaign.sentCount drives the progress bar.
    const without = schema.replace("\n  sentCount: Int!\n", "\n");
    expect(without).not.toBe(schema);
    writeFileSync(broken, without);
    const run = spawnSync(process.execPath, [CODEGEN, "--check", "--schema", broken], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Cannot query field "sentCount" on type "Campaign"/);
  });
});
