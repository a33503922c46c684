import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { ConfigException, loadConfig, type HonourConfig } from "@honour/platform";
import { consoleSettings, faviconIco, registerConsoleRoutes } from "./console.routes";

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

function config(nodeEnv: "development" | "production", dataDir: string): HonourConfig {
  return loadConfig({
    NODE_ENV: nodeEnv,
    HONOUR_DATA_DIR: dataDir,
    HONOUR_SECRET: "s".repeat(40),
    SITE_TIME_ZONE: "America/New_York",
  });
}

describe("the console's routes", () => {
  let dir: string;
  let dist: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "honour-console-routes-"));
    dist = join(dir, "dist");
    mkdirSync(join(dist, "assets"), { recursive: true });
    writeFileSync(
      join(dist, "index.html"),
      '<!doctype html><html lang="en"><head><meta name="honour-site-time-zone" content="UTC" />' +
        '<meta name="honour-graphql-ide" content="off" /><script type="module" src="/console/assets/app-1a2b.js"></script></head></html>',
    );
    writeFileSync(join(dist, "graphiql.html"), "<!doctype html><title>IDE</title>");
    writeFileSync(join(dist, "assets", "app-1a2b.js"), `console.log(${JSON.stringify("x".repeat(4000))});`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  interface Served {
    inject(request: { url: string; headers?: Record<string, string> }): Promise<{
      statusCode: number;
      headers: Record<string, string>;
      body: string;
      rawPayload: Buffer;
      json(): unknown;
    }>;
    close(): Promise<void>;
  }

  /** The routes on a real Fastify listening on a random port, asked over HTTP. */
  async function app(nodeEnv: "development" | "production", env: NodeJS.ProcessEnv = {}): Promise<Served> {
    const cfg = config(nodeEnv, dir);
    const instance: FastifyInstance = Fastify();
    await registerConsoleRoutes(instance, cfg, { ...consoleSettings(cfg, env), dist });
    // Stands in for Apollo's route: what the IDE hook lets through reaches it.
    instance.get("/graphql", async () => ({ reached: "apollo" }));
    const base = await instance.listen({ port: 0, host: "127.0.0.1" });
    return {
      inject: async ({ url, headers = {} }) => {
        const response = await fetch(`${base}${url}`, { headers });
        const rawPayload = Buffer.from(await response.arrayBuffer());
        return {
          statusCode: response.status,
          headers: Object.fromEntries(response.headers.entries()),
          body: rawPayload.toString("utf8"),
          rawPayload,
          json: () => JSON.parse(rawPayload.toString("utf8")),
        };
      },
      close: () => instance.close(),
    };
  }

  it("turns the IDE on in development and off in production unless GRAPHQL_IDE=true, and refuses other values", () => {
    const dev = config("development", dir);
    const prod = config("production", dir);
    expect(consoleSettings(dev, {}).graphqlIde).toBe(true);
    expect(consoleSettings(prod, {}).graphqlIde).toBe(false);
    expect(consoleSettings(prod, { GRAPHQL_IDE: "true" }).graphqlIde).toBe(true);
    expect(consoleSettings(dev, { GRAPHQL_IDE: "false" }).graphqlIde).toBe(false);
    expect(() => consoleSettings(dev, { GRAPHQL_IDE: "maybe" })).toThrow(ConfigException);
    expect(() => consoleSettings(dev, { GRAPHQL_IDE: "maybe" })).toThrow(/GRAPHQL_IDE/);
  });

  it("serves GraphiQL to a browser's GET /graphql in development, and leaves JSON clients to Apollo", async () => {
    const server = await app("development");
    const ide = await server.inject({ url: "/graphql", headers: { accept: BROWSER_ACCEPT } });
    expect(ide.statusCode).toBe(200);
    expect(ide.body).toContain("<title>IDE</title>");
    expect(ide.headers["content-security-policy"]).toContain("script-src 'self';");
    const json = await server.inject({ url: "/graphql?query={__typename}", headers: { accept: "application/json" } });
    expect(json.json()).toEqual({ reached: "apollo" });
    await server.close();
  });

  it("answers a browser's GET /graphql in production with a page saying the IDE is off, never Apollo's landing page", async () => {
    const server = await app("production");
    const off = await server.inject({ url: "/graphql", headers: { accept: BROWSER_ACCEPT } });
    expect(off.statusCode).toBe(404);
    expect(off.body).toContain("The GraphQL IDE is off on this server");
    expect(off.body).not.toMatch(/<script/);
    const on = await app("production", { GRAPHQL_IDE: "true" });
    expect((await on.inject({ url: "/graphql", headers: { accept: BROWSER_ACCEPT } })).statusCode).toBe(200);
    await Promise.all([server.close(), on.close()]);
  });

  it("serves the console's page for its client routes with the site's time zone, and hashed assets for a year", async () => {
    const server = await app("production");
    for (const url of ["/console", "/console/statistics", "/console/campaigns/42"]) {
      const page = await server.inject({ url });
      expect(page.statusCode).toBe(200);
      expect(page.headers["cache-control"]).toBe("no-cache");
      expect(page.body).toContain('<meta name="honour-site-time-zone" content="America/New_York" />');
      expect(page.body).toContain('<meta name="honour-graphql-ide" content="off" />');
    }
    const asset = await server.inject({
      url: "/console/assets/app-1a2b.js",
      headers: { "accept-encoding": "gzip, br" },
    });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(asset.headers["content-encoding"]).toBe("gzip");
    for (const url of [
      "/console/assets/missing.js",
      "/console/graphiql.html",
      "/console/.vite/manifest.json",
      "/console/assets/..%2Findex.html",
    ]) {
      expect([url, (await server.inject({ url })).statusCode]).toEqual([url, 404]);
    }
    await server.close();
  });

  it("answers /, /favicon.ico and /robots.txt", async () => {
    const server = await app("production");
    const home = await server.inject({ url: "/" });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('<a href="/console">');
    expect(home.body).not.toContain('href="/graphql"'); // the IDE is off in production
    const development = await app("development");
    expect((await development.inject({ url: "/" })).body).toContain('href="/graphql"');
    await development.close();
    const robots = await server.inject({ url: "/robots.txt" });
    expect(robots.body).toBe("User-agent: *\nDisallow: /\n");
    const icon = await server.inject({ url: "/favicon.ico" });
    expect(icon.headers["content-type"]).toBe("image/x-icon");
    expect(icon.rawPayload.equals(faviconIco())).toBe(true);
    expect(icon.rawPayload.readUInt16LE(2)).toBe(1); // an icon file
    await server.close();
  });
});
