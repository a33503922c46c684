import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { PoolConnection, RowDataPacket } from "mysql2/promise";
import {
  ACCOUNT_SQL,
  hmac,
  identifierOf,
  LEDGER_INSERT_SQL,
  newId,
  PREFERENCE_INSERT_SQL,
  PREFERENCE_UPDATE_SQL,
  PREFERENCES_SQL,
  preferencesJson,
  SESSION_SQL,
  SUPPRESSION_LIFT_SQL,
} from "./consent-baseline-sql";
import { baselinePool } from "./baseline-pool";

/**
 * The consent benchmark's baseline: a bare node:http server with a mysql2 pool answering
 * `myPreferences` and `setPreferences` with the statements the gateway runs (the same transaction
 * for setPreferences, answered from the state it wrote as the gateway's is) and the same JSON. Operations are told apart by `operationName`.
 */
const url = process.env.BENCH_DATABASE_URL;
const secret = process.env.HONOUR_SECRET;
if (!url) throw new Error("BENCH_DATABASE_URL is not set");
if (!secret) throw new Error("HONOUR_SECRET is not set");
const pool = baselinePool(url);

interface Change {
  topic: string;
  channel: string;
  granted: boolean;
}

async function setPreferences(conn: PoolConnection, userId: string, changes: Change[]): Promise<RowDataPacket[]> {
  await conn.query("START TRANSACTION");
  try {
    const [users] = await conn.execute<RowDataPacket[]>(ACCOUNT_SQL, [userId]);
    const user = users[0];
    if (!user) throw new Error("no such user");
    const [rows] = await conn.execute<RowDataPacket[]>(PREFERENCES_SQL, [userId]);
    const current = new Map(rows.map((row) => [`${row.topic}:${row.channel}`, row]));
    const policyVersion = Number(user.currentPolicyVersion);
    const now = new Date();
    const subjectHash = hmac(secret!, "consent.subject", userId);
    for (const change of changes) {
      const row = current.get(`${change.topic}:${change.channel}`);
      const granted = row ? Boolean(row.granted) : false;
      const reaffirmed = change.granted && granted && Number(row!.policyVersion) < policyVersion;
      if (change.granted === granted && !reaffirmed) continue;
      const eventId = newId(now.getTime());
      await conn.execute(LEDGER_INSERT_SQL, [
        eventId,
        subjectHash,
        change.topic,
        change.channel,
        change.granted ? "GRANTED" : "WITHDRAWN",
        "PREFERENCE_CENTRE",
        "PERSON",
        null,
        policyVersion,
        now,
      ]);
      if (row) {
        await conn.execute(PREFERENCE_UPDATE_SQL, [
          change.granted,
          "PREFERENCE_CENTRE",
          policyVersion,
          eventId,
          now,
          userId,
          change.topic,
          change.channel,
        ]);
      } else {
        await conn.execute(PREFERENCE_INSERT_SQL, [
          userId,
          change.topic,
          change.channel,
          change.granted,
          "PREFERENCE_CENTRE",
          policyVersion,
          eventId,
          now,
        ]);
      }
      // The answer is the state written, as the gateway's (no read after, under the lock).
      current.set(`${change.topic}:${change.channel}`, { ...row, ...change, updatedAt: now } as RowDataPacket);
    }
    for (const channel of new Set(changes.filter((c) => c.granted).map((c) => c.channel))) {
      const identifier = identifierOf(channel, user);
      if (identifier) {
        await conn.execute(SUPPRESSION_LIFT_SQL, [
          new Date(),
          channel,
          hmac(secret!, "consent.suppression", channel, identifier),
        ]);
      }
    }
    await conn.query("COMMIT");
    return [...current.values()];
  } catch (error) {
    await conn.query("ROLLBACK");
    throw error;
  }
}

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", async () => {
    try {
      const request = JSON.parse(body) as { operationName?: string; variables?: { input?: Change[] } };
      const token = /(?:^|;\s*)honour_session=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
      let userId: string | null = null;
      if (token) {
        const hash = createHash("sha256").update(token, "utf8").digest("hex");
        const [rows] = await pool.execute<RowDataPacket[]>(SESSION_SQL, [hash, new Date()]);
        userId = (rows[0]?.id as string | undefined) ?? null;
      }
      if (!userId) {
        res.writeHead(401).end();
        return;
      }
      let json: string;
      if (request.operationName === "SetPreferences") {
        const conn = await pool.getConnection();
        try {
          const rows = await setPreferences(conn, userId, request.variables?.input ?? []);
          json = JSON.stringify({ data: { setPreferences: preferencesJson(rows) } });
        } finally {
          conn.release();
        }
      } else {
        const [rows] = await pool.execute<RowDataPacket[]>(PREFERENCES_SQL, [userId]);
        json = JSON.stringify({ data: { myPreferences: preferencesJson(rows) } });
      }
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
