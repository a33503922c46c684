import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Where @honour/client's generation step writes its manifest, from this file in `src/` or `dist/`
 * of the gateway in the monorepo (`TRUSTED_DOCUMENTS_FILE` says otherwise).
 */
export const DEFAULT_TRUSTED_DOCUMENTS_FILE = join(
  __dirname,
  ...["..", "..", "..", "..", "packages", "client", "src", "generated", "persisted-documents.json"],
);

/**
 * The staff console's own trusted documents, which its build writes into apps/console/dist/ (the
 * same place in the repository and the Docker image); the gateway always trusts them too, since it
 * serves the console itself.
 */
export const CONSOLE_TRUSTED_DOCUMENTS_FILE = join(
  __dirname,
  ...["..", "..", "..", "console", "dist", "persisted-documents.json"],
);

/** The error answered before Apollo runs: one GraphQL error with a code. */
function refusal(reply: FastifyReply, status: number, code: string, message: string): void {
  void reply
    .code(status)
    .header("content-type", "application/json; charset=utf-8")
    .send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Trusted documents (persisted operations): the operations @honour/client ships, by id, from the
 * manifest its codegen writes (`{ "sha256:<hex of the text>": "<document text>" }`). A request
 * names one with `documentId` (the GraphQL-over-HTTP persisted documents convention), or with an
 * APQ hash (`extensions.persistedQuery.sha256Hash`) that is a manifest entry's; the gateway puts
 * the manifest's text in `query` before Apollo sees it and remembers that the request is trusted.
 * An ad-hoc `query`, or an APQ hash registered by some client, is not trusted.
 */
export class TrustedDocuments {
  private readonly byHex = new Map<string, string>();
  private readonly trusted = new WeakSet<FastifyRequest>();

  /**
   * Reads and checks the manifest (`TRUSTED_DOCUMENTS_FILE`, @honour/client's by default) and the
   * console's ({@link CONSOLE_TRUSTED_DOCUMENTS_FILE}): every id must be the SHA-256 of its text.
   * A file that is missing adds nothing (the console not built, say).
   */
  static load(file: string, consoleFile: string = CONSOLE_TRUSTED_DOCUMENTS_FILE): TrustedDocuments {
    const documents = new TrustedDocuments();
    for (const path of [file, consoleFile]) {
      if (!existsSync(path)) continue;
      const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      for (const [id, text] of Object.entries(manifest)) {
        const hex = /^sha256:([0-9a-f]{64})$/.exec(id)?.[1];
        if (!hex || typeof text !== "string" || sha256Hex(text) !== hex) {
          throw new Error(`${path}: "${id}" is not the sha256 of its document`);
        }
        documents.byHex.set(hex, text);
      }
    }
    return documents;
  }

  /** Whether this request's operation came from the manifest. */
  isTrusted(request: FastifyRequest): boolean {
    return this.trusted.has(request);
  }

  /**
   * The `/graphql` route's preHandler: resolves `documentId` (POST body or GET query string) to
   * the manifest's text; an id the manifest does not hold answers 400 `PERSISTED_QUERY_NOT_FOUND`
   * (a malformed one `BAD_REQUEST`) before Apollo runs.
   */
  readonly preHandler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const params = (request.method === "GET" ? request.query : request.body) as Record<string, unknown> | null;
    if (typeof params !== "object" || params === null || Array.isArray(params)) return;
    if (params.documentId !== undefined) {
      const id = params.documentId;
      const hex = typeof id === "string" ? /^sha256:([0-9a-f]{64})$/.exec(id)?.[1] : undefined;
      if (!hex) return refusal(reply, 400, "BAD_REQUEST", 'documentId must be "sha256:" and 64 hex digits.');
      const text = this.byHex.get(hex);
      if (!text) return refusal(reply, 400, "PERSISTED_QUERY_NOT_FOUND", "No trusted document has this documentId.");
      if (params.query !== undefined && params.query !== text) {
        return refusal(reply, 400, "BAD_REQUEST", "Send documentId or query, not both.");
      }
      params.query = text;
      delete params.documentId;
      this.trusted.add(request);
      return rewriteSearch(request, params);
    }
    const hash = apqHash(params.extensions);
    const text = hash ? this.byHex.get(hash) : undefined;
    if (!text) return;
    if (params.query === undefined || params.query === null) params.query = text;
    if (params.query === text) this.trusted.add(request);
    rewriteSearch(request, params);
  };
}

/** Apollo reads a GET's parameters from the URL itself, so a GET's rewritten ones go back there. */
function rewriteSearch(request: FastifyRequest, params: Record<string, unknown>): void {
  if (request.method !== "GET") return;
  const path = (request.raw.url ?? "/").split("?")[0];
  request.raw.url = `${path}?${new URLSearchParams(params as Record<string, string>).toString()}`;
}

/** The APQ hash of a request's `extensions` (an object in a POST body, JSON text in a GET URL). */
function apqHash(extensions: unknown): string | undefined {
  let value = extensions;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const hash = (value as { persistedQuery?: { sha256Hash?: unknown } } | null)?.persistedQuery?.sha256Hash;
  return typeof hash === "string" ? hash : undefined;
}
