import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { RowDataPacket } from "mysql2/promise";
import { baselinePool } from "./baseline-pool";

/**
 * The sign-in benchmark's baseline: a bare node:http server with a mysql2 pool doing what a
 * sign-in cannot do without: read the account by email with its hash, verify the password with
 * scrypt under the hash's own parameters (the gateway's format `scrypt$N$r$p$salt$key`), insert a
 * session (SHA-256 of a random token) and set the cookie. What the gateway does beyond this (its
 * framework, the throttle's counters, the second-factor check, the security log) is what
 * `npm run bench` measures; scrypt dominates both.
 */
const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error("BENCH_DATABASE_URL is not set");
const pool = baselinePool(url);
const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

function verify(password: string, stored: string): Promise<boolean> {
  const [, n, r, p, salt, key] = stored.split("$");
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const expected = Buffer.from(key!, "base64");
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      Buffer.from(salt!, "base64"),
      expected.length,
      { ...params, maxmem: 128 * params.r * (params.N + params.p + 2) + 1024 * 1024 },
      (error, derived) => (error ? reject(error) : resolve(timingSafeEqual(derived, expected))),
    ),
  );
}

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", async () => {
    try {
      const { variables } = JSON.parse(body) as { variables: { input: { email: string; password: string } } };
      const [rows] = await pool.query<RowDataPacket[]>(
        "SELECT id, email, role, passwordHash FROM `user` WHERE email = ? AND closedAt IS NULL",
        [variables.input.email.trim().toLowerCase()],
      );
      const user = rows[0];
      if (!user || !(await verify(variables.input.password, user.passwordHash as string))) {
        res.writeHead(200, { "content-type": "application/json" }).end('{"errors":[{"message":"wrong"}]}');
        return;
      }
      const token = randomBytes(32).toString("base64url");
      const now = new Date();
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
      await pool.query(
        "INSERT INTO `session` (id, tokenHash, userId, createdAt, lastSeenAt, browser, os, expiresAt) VALUES (UUID(), ?, ?, ?, ?, NULL, NULL, ?)",
        [createHash("sha256").update(token).digest("hex"), user.id, now, now, expiresAt],
      );
      const json = JSON.stringify({ data: { login: { user: { id: user.id, email: user.email, role: user.role } } } });
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(json),
        "set-cookie": `honour_session=${token}; Path=/; HttpOnly; SameSite=Lax; Expires=${expiresAt.toUTCString()}`,
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
