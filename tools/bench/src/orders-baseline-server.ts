import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { RowDataPacket } from "mysql2/promise";
// The same ids as the gateway's disclosures, made the same way (hand-written code would use them).
import { newId } from "@honour/platform";
import { baselinePool } from "./baseline-pool";

/**
 * The orders benchmark's baseline: a bare node:http server with a mysql2 pool answering
 * `myOrders(first: 20)` and `partnerOrders(first: 50)` with the statements the gateway runs (the
 * session or API-key lookup, the page, its lines, and for partners the one INSERT of the
 * disclosures) and the same JSON. The request's operationName says which.
 */
const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error("BENCH_DATABASE_URL is not set");
const pool = baselinePool(url);

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const orderNumber = (n: number) => `HON-${String(n).padStart(6, "0")}`;
const SESSION_SQL =
  "SELECT s.id, s.expiresAt, u.id AS userId FROM `session` s INNER JOIN `user` u ON u.id = s.userId " +
  "WHERE s.tokenHash = ? AND s.expiresAt > ? AND u.closedAt IS NULL";
const KEY_SQL =
  "SELECT k.id, k.partnerId, k.secretHash, k.lastUsedAt, k.revokedAt, p.active FROM `partner_api_key` k " +
  "INNER JOIN `partner` p ON p.id = k.partnerId WHERE k.prefix = ?";
const PAGE_SQL = (column: "userId" | "partnerId") =>
  `SELECT * FROM \`customer_order\` WHERE \`${column}\` = ? ORDER BY \`id\` DESC LIMIT ?`;

async function linesOf(orderIds: string[]): Promise<RowDataPacket[]> {
  if (orderIds.length === 0) return [];
  const [rows] = await pool.execute<RowDataPacket[]>(
    `SELECT * FROM \`order_line\` WHERE \`orderId\` IN (${orderIds.map(() => "?").join(", ")}) ORDER BY \`orderId\` ASC, \`position\` ASC`,
    orderIds,
  );
  return rows;
}

function contactJson(o: RowDataPacket) {
  return {
    name: o.contactName,
    email: o.contactEmail,
    phone: o.contactPhone,
    organisation: o.contactOrganisation,
    address: {
      line1: o.addressLine1,
      line2: o.addressLine2,
      city: o.addressCity,
      postcode: o.addressPostcode,
      country: o.addressCountry,
    },
  };
}

async function myOrders(cookie: string | undefined) {
  const token = /(?:^|;\s*)honour_session=([^;]+)/.exec(cookie ?? "")?.[1] ?? "";
  const [[session]] = await pool.execute<RowDataPacket[]>(SESSION_SQL, [sha256(token), new Date()]);
  if (!session) throw new Error("no session");
  const [rows] = await pool.execute<RowDataPacket[]>(PAGE_SQL("userId"), [session.userId, 21]);
  const page = rows.slice(0, 20);
  const lines = await linesOf(page.map((o) => o.id as string));
  return {
    myOrders: {
      nodes: page.map((o) => ({
        id: o.id,
        number: orderNumber(o.number),
        status: o.status,
        totalMinor: o.totalMinor,
        lines: lines
          .filter((l) => l.orderId === o.id)
          .map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor })),
        contact: contactJson(o),
        payment: {
          brand: o.cardBrand,
          last4: o.cardLast4,
          expiryMonth: o.cardExpiryMonth,
          expiryYear: o.cardExpiryYear,
        },
      })),
    },
  };
}

async function partnerOrders(authorization: string | undefined) {
  const key = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1] ?? "";
  const prefix = /^(hpk_[0-9a-f]{12})_/.exec(key)?.[1] ?? "";
  const [[row]] = await pool.execute<RowDataPacket[]>(KEY_SQL, [prefix]);
  if (!row || row.secretHash !== sha256(key) || row.revokedAt || !row.active) throw new Error("bad key");
  const [rows] = await pool.execute<RowDataPacket[]>(PAGE_SQL("partnerId"), [row.partnerId, 51]);
  const page = rows.slice(0, 50);
  const lines = await linesOf(page.map((o) => o.id as string));
  // One disclosure per order whose contact is handed over (only while it is assigned).
  const open = page.filter((o) => o.status === "ASSIGNED");
  if (open.length > 0) {
    const at = new Date();
    const values = open.map((o) => [
      newId(),
      row.partnerId,
      row.partnerId,
      row.id,
      o.id,
      o.number,
      "NAME,EMAIL,PHONE,ORGANISATION,ADDRESS",
      "ORDER_FULFILMENT",
      at,
    ]);
    await pool.execute(
      "INSERT INTO `disclosure` (`id`, `partnerId`, `partnerName`, `apiKeyId`, `orderId`, `orderNumber`, `fields`, `purpose`, `at`) VALUES " +
        values.map(() => "(?, ?, (SELECT `name` FROM `partner` WHERE `id` = ?), ?, ?, ?, ?, ?, ?)").join(", "),
      values.flat(),
    );
  }
  return {
    partnerOrders: {
      nodes: page.map((o) => ({
        id: o.id,
        number: orderNumber(o.number),
        status: o.status,
        lines: lines.filter((l) => l.orderId === o.id).map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity })),
        contact: contactJson(o),
      })),
    },
  };
}

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", async () => {
    try {
      const { operationName } = JSON.parse(body) as { operationName?: string };
      const data =
        operationName === "PartnerOrders"
          ? await partnerOrders(req.headers.authorization)
          : await myOrders(req.headers.cookie);
      const json = JSON.stringify({ data });
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
