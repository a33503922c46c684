import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { RowDataPacket } from "mysql2/promise";
import { ME_SQL, meJson } from "./baseline-sql";
import { baselinePool } from "./baseline-pool";

/**
 * The benchmark's baseline: a bare node:http server with a mysql2 pool answering the `me` query
 * with the same SQL the gateway runs and the same JSON. What the gateway costs on top of this
 * (Fastify, Apollo, type-graphql, TypeORM) is what `npm run bench` measures.
 */
const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error("BENCH_DATABASE_URL is not set");
const pool = baselinePool(url);

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", async () => {
    try {
      JSON.parse(body);
      const token = /(?:^|;\s*)honour_session=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
      let me: Record<string, unknown> | null = null;
      if (token) {
        const hash = createHash("sha256").update(token, "utf8").digest("hex");
        const [rows] = await pool.execute<RowDataPacket[]>(ME_SQL, [hash, new Date()]);
        if (rows[0]) me = meJson(rows[0]);
      }
      const json = JSON.stringify({ data: { me } });
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(json),
      });
      res.end(json);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
});

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(`BASELINE_PORT=${typeof address === "object" && address ? address.port : ""}`);
});
process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0))));
