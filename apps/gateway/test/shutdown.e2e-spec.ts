import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { REGISTER, TEST_SECRET, newRegistration } from "./support/test-gateway";

const MAIN = join(__dirname, "..", "dist", "main.js");

function startProcess(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  let output = "";
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: "pipe" });
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => (output += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe("the gateway process", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "honour-proc-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it("refuses to start on a bad setting, naming the variable", async () => {
    const proc = startProcess({ HONOUR_DATA_DIR: dataDir, PORT: "not-a-port", DATABASE_URL: "postgres://x/y" });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/PORT/);
    expect(proc.output()).toMatch(/DATABASE_URL/);
  });

  it("finishes in-flight requests on SIGTERM, then stops accepting and exits 0", async () => {
    const proc = startProcess({
      NODE_ENV: "test",
      HONOUR_DATA_DIR: dataDir,
      PORT: "0",
      HONOUR_SECRET: TEST_SECRET,
      HONOUR_DEMO_DATA: "true",
      LOG_LEVEL: "warn",
    });
    // The banner is written in several pieces: wait for its last part, the demo accounts.
    const demoAccount = /CUSTOMER\s+\S+@\S+\s+password: \S+/;
    for (let i = 0; i < 300 && !demoAccount.test(proc.output()); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /GraphQL at (http:\/\/[^/\s]+)\/graphql/.exec(proc.output())?.[1];
    expect(url).toBeDefined();
    expect(proc.output()).toMatch(demoAccount); // demo accounts on first run

    // A request whose body is still arriving when SIGTERM lands is in flight for certain.
    const body = JSON.stringify({ query: REGISTER, variables: { input: newRegistration() } });
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${url}/graphql`,
        { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += String(d)));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 20));
      setTimeout(() => {
        proc.child.kill("SIGTERM");
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 300);
    });
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ data: { register: { user: { role: "CUSTOMER" } } } });
    const code = await proc.exited;
    if (code !== 0) console.error(proc.output());
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
