import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ConfigException, type HonourConfig } from "@honour/platform";
import { printGatewaySchema } from "../emit-schema";
import { escapeHtml, renderPage, sendPage } from "./pages/layout";

/** Where the staff console is served. */
export const CONSOLE_PATH = "/console";

/**
 * The console's build (apps/console/dist), found beside the gateway's own build: the same layout
 * in the repository and in the Docker image, which copies every app's dist/.
 */
export const CONSOLE_DIST = join(__dirname, "..", "..", "..", "console", "dist");

/**
 * The console: only its own scripts and style sheets, calls to this origin only, no frames of it
 * elsewhere. Style attributes are allowed for one reason: a campaign's HTML preview (a sandboxed
 * srcdoc frame, which inherits this policy) keeps the inline styles a campaign may carry.
 */
const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * GraphiQL: still only its own scripts, but its editor (Monaco) writes <style> elements at run
 * time and runs its language services in workers built beside it.
 */
const IDE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ttf": "font/ttf",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

export interface ConsoleSettings {
  /** Serve GraphiQL to a browser's GET /graphql: on in development and test, off in production unless GRAPHQL_IDE=true. */
  graphqlIde: boolean;
  /** The console's build directory; {@link CONSOLE_DIST} unless a test says. */
  dist: string;
}

/**
 * The console's settings from the environment, read once at start-up: `GRAPHQL_IDE` is true or
 * false (also 1/0, yes/no); anything else stops the start naming the variable.
 */
export function consoleSettings(config: HonourConfig, env: NodeJS.ProcessEnv = process.env): ConsoleSettings {
  const raw = env.GRAPHQL_IDE?.trim().toLowerCase();
  let graphqlIde = config.nodeEnv !== "production";
  if (raw) {
    if (["true", "1", "yes", "on"].includes(raw)) graphqlIde = true;
    else if (["false", "0", "no", "off"].includes(raw)) graphqlIde = false;
    else throw new ConfigException([`GRAPHQL_IDE must be true or false (got "${env.GRAPHQL_IDE}")`]);
  }
  return { graphqlIde, dist: CONSOLE_DIST };
}

interface Asset {
  type: string;
  body: Buffer;
  /** Made on the first request that accepts gzip, then kept. */
  gzipped?: Buffer;
}

function acceptsGzip(request: FastifyRequest): boolean {
  return /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  reply
    .header("content-type", asset.type)
    .header("x-content-type-options", "nosniff")
    .header("vary", "accept-encoding");
  // Compressing pays for text; fonts are already compressed or small.
  if (asset.body.length > 1024 && /^(text|application\/json)/.test(asset.type) && acceptsGzip(request)) {
    asset.gzipped ??= gzipSync(asset.body);
    return reply.header("content-encoding", "gzip").send(asset.gzipped);
  }
  return reply.send(asset.body);
}

function htmlReply(reply: FastifyReply, status: number, csp: string, body: string) {
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("cache-control", "no-cache")
    .header("content-security-policy", csp)
    .header("x-content-type-options", "nosniff")
    .header("x-frame-options", "DENY")
    .header("referrer-policy", "same-origin")
    .send(body);
}

/**
 * A 16×16 icon (a white H on the console's blue), as a Windows icon file with one 32-bit bitmap,
 * so `/favicon.ico` answers without an image in the repository.
 */
export function faviconIco(): Buffer {
  const size = 16;
  const pixels = Buffer.alloc(size * size * 4);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const y = size - 1 - row; // bitmaps run bottom-up
      const letter = (col >= 4 && col <= 5) || (col >= 10 && col <= 11) || (y >= 7 && y <= 8 && col >= 4 && col <= 11);
      const inside = y >= 3 && y <= 12;
      const [r, g, b] = letter && inside ? [255, 255, 255] : [0x1d, 0x4e, 0xd8];
      pixels.set([b, g, r, 255], (row * size + col) * 4);
    }
  }
  const mask = Buffer.alloc(size * 4); // every pixel opaque: the AND mask is all zeros
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // the colour bitmap and the mask, stacked
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  const image = Buffer.concat([header, pixels, mask]);
  const dir = Buffer.alloc(22);
  dir.writeUInt16LE(1, 2); // type: icon
  dir.writeUInt16LE(1, 4); // one image
  dir.writeUInt8(size, 6);
  dir.writeUInt8(size, 7);
  dir.writeUInt16LE(1, 10);
  dir.writeUInt16LE(32, 12);
  dir.writeUInt32LE(image.length, 14);
  dir.writeUInt32LE(22, 18);
  return Buffer.concat([dir, image]);
}

/**
 * The staff console at /console (its built files; hashed assets cached for a year, the page
 * itself revalidated every time; client routes answered with the page), GraphiQL for a browser's
 * GET /graphql when the IDE is on, and `/`, `/favicon.ico` and `/robots.txt`.
 *
 * Register before the /graphql route: the IDE is answered by an onRequest hook, ahead of Apollo,
 * so Apollo's own landing page (which loads from a CDN) is never served.
 */
export async function registerConsoleRoutes(
  app: FastifyInstance,
  config: HonourConfig,
  settings: ConsoleSettings,
): Promise<void> {
  const built = existsSync(join(settings.dist, "index.html"));
  const assets = new Map<string, Asset>();
  let consoleHtml = "";
  let ideHtml = "";
  if (built) {
    const assetDir = join(settings.dist, "assets");
    for (const name of existsSync(assetDir) ? readdirSync(assetDir) : []) {
      const type = CONTENT_TYPES[extname(name)];
      if (type) assets.set(name, { type, body: readFileSync(join(assetDir, name)) });
    }
    // What the console cannot know from its own files: the site's time zone and whether the IDE is on.
    consoleHtml = readFileSync(join(settings.dist, "index.html"), "utf8")
      .replace(
        '<meta name="honour-site-time-zone" content="UTC" />',
        `<meta name="honour-site-time-zone" content="${escapeHtml(config.stats.timeZone)}" />`,
      )
      .replace(
        '<meta name="honour-graphql-ide" content="off" />',
        `<meta name="honour-graphql-ide" content="${settings.graphqlIde ? "on" : "off"}" />`,
      );
    if (settings.graphqlIde && existsSync(join(settings.dist, "graphiql.html"))) {
      ideHtml = readFileSync(join(settings.dist, "graphiql.html"), "utf8");
    }
  }
  const notBuilt = renderPage({
    title: "The console is not built",
    body: "<p>Build it with <code>npm run build</code> (or start with <code>npm start</code>, which builds first).</p>",
  });

  app.get(`${CONSOLE_PATH}/assets/:name`, async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    // Only files the build wrote are served: the name is looked up, never joined into a path.
    const asset = assets.get(request.params.name);
    if (!asset) {
      return reply.code(404).header("cache-control", "no-store").type("text/plain; charset=utf-8").send("Not found");
    }
    // Hashed names: a new build has new names, so a copy never goes stale.
    reply.header("cache-control", "public, max-age=31536000, immutable");
    return sendAsset(request, reply, asset);
  });

  const consolePage = async (_request: FastifyRequest, reply: FastifyReply) =>
    built ? htmlReply(reply, 200, CONSOLE_CSP, consoleHtml) : sendPage(reply, 503, notBuilt);
  app.get(CONSOLE_PATH, consolePage);
  // Client routes (/console/statistics, /console/campaigns/42…) are the console's page too; a
  // path that looks like a file (graphiql.html, .vite/manifest.json, a missing asset) is not.
  app.get(`${CONSOLE_PATH}/*`, async (request: FastifyRequest<{ Params: { "*": string } }>, reply) => {
    if (/(^|\/)\.|\.[a-z0-9]+$/i.test(request.params["*"])) {
      return reply.code(404).header("cache-control", "no-store").type("text/plain; charset=utf-8").send("Not found");
    }
    return consolePage(request, reply);
  });

  // A browser's GET /graphql: GraphiQL when the IDE is on, a short page saying so when it is not.
  // Every other request (POST, GET with a query, JSON clients) goes on to Apollo.
  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "GET" || !/^\/graphql(\?|$)/.test(request.url)) return;
    if (!String(request.headers.accept ?? "").includes("text/html")) return;
    if (settings.graphqlIde && ideHtml) return htmlReply(reply, 200, IDE_CSP, ideHtml);
    const why = !settings.graphqlIde
      ? "<p>The GraphQL IDE is off on this server (it is on in development, and in production with <code>GRAPHQL_IDE=true</code>).</p>"
      : "<p>The GraphQL IDE is not built: run <code>npm run build</code>.</p>";
    return sendPage(
      reply,
      404,
      renderPage({
        title: "GraphQL IDE",
        body: `${why}<p>Send queries to this address with POST and any GraphQL client.</p>`,
      }),
    );
  });

  app.get("/", async (_request, reply) =>
    sendPage(
      reply,
      200,
      renderPage({
        title: "Honour",
        body:
          "<p>This is the Honour customer-data server: the GraphQL API for the site, front-end teams and " +
          "reseller partners, kept to the promises of the privacy policy.</p><ul>" +
          `<li><a href="${CONSOLE_PATH}">Staff console</a>: statistics, campaigns, privacy requests, logs, partners and users.</li>` +
          (settings.graphqlIde
            ? `<li><a href="/graphql">GraphQL IDE</a>: try queries as the signed-in user.</li>`
            : "") +
          `<li><a href="/schema.graphql">API reference</a>: the GraphQL schema with every type and field described.</li>` +
          "</ul>",
      }),
    ),
  );

  // The schema as the gateway serves it, with its descriptions: the API's reference.
  let schemaText: Promise<string> | undefined;
  app.get("/schema.graphql", async (_request, reply) => {
    schemaText ??= printGatewaySchema();
    return reply
      .header("content-type", "text/plain; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("x-content-type-options", "nosniff")
      .send(await schemaText);
  });

  const favicon = faviconIco();
  app.get("/favicon.ico", async (_request, reply) =>
    reply.header("content-type", "image/x-icon").header("cache-control", "public, max-age=86400").send(favicon),
  );
  app.get("/robots.txt", async (_request, reply) =>
    reply
      .header("content-type", "text/plain; charset=utf-8")
      .header("cache-control", "public, max-age=86400")
      .send("User-agent: *\nDisallow: /\n"),
  );
}
