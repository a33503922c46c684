import fastifyCors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/**
 * CORS for front ends served from another origin (`www.` beside `api.`, a Vite or Next.js dev
 * server): the origins of `CORS_ORIGINS` may call the API with the visitor's cookie
 * (`Access-Control-Allow-Credentials`), and their preflight is answered 204. Any other origin gets
 * no CORS headers, so its browser keeps the answer from it. Apollo's CSRF prevention stays on: a
 * cross-origin POST must still be a non-simple request, which is what the preflight is for.
 * Nothing is registered when the list is empty (same-origin pages need none of it).
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await app.register(fastifyCors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["content-type", "authorization", "apollo-require-preflight", "x-apollo-operation-name"],
    exposedHeaders: ["retry-after", "ratelimit", "ratelimit-policy"],
    maxAge: 600,
    strictPreflight: false,
  });
}
