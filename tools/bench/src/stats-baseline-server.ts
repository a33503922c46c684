import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { BrowserFamilies, reducePageUrl, referrerDomain, SiteTimeZone } from "@honour/stats";
import { baselinePool } from "./baseline-pool";

/**
 * The stats benchmark's baselines for `POST /api/event`, one per process, chosen by
 * BENCH_STATS_MODE:
 * - `accept`: reads the body, keeps it in memory and answers 202; no parsing, no database.
 * - `batch`: the gateway's work by hand: parses and reduces the page view (the stats package's own
 *   reduction helpers, so the per-event work is the same), the keyed visitor hash, and one
 *   multi-row insert into stats_page_view every 250 ms or 1 000 events; answers 202 at once.
 * - `single`: the same, but one single-row insert per event, answering 202 once it is written.
 */
const mode = process.env.BENCH_STATS_MODE ?? "";
if (!["accept", "batch", "single"].includes(mode))
  throw new Error(`BENCH_STATS_MODE "${mode}" is not accept, batch or single`);
const url = process.env.BENCH_DATABASE_URL;
if (mode !== "accept" && !url) throw new Error("BENCH_DATABASE_URL is not set");
const pool = url ? baselinePool(url) : null;

const BATCH_SIZE = 1000;
const FLUSH_MS = 250;
const MAX_BODY = 8 * 1024;
const COLUMNS =
  "`day`, `hour`, `visitorId`, `path`, `referrerDomain`, `browser`, `utmSource`, `utmMedium`, `utmCampaign`";
const TUPLE = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";

const zone = new SiteTimeZone(process.env.SITE_TIME_ZONE ?? "Europe/London");
const browsers = new BrowserFamilies();
const NO_HOSTS: ReadonlySet<string> = new Set();
/** The day's key, held in memory as the gateway holds its cached salt. */
const salt = randomBytes(32);
let bucket = { start: 0, end: 0, day: "", hour: "" };

/** HMAC-SHA256(salt, site ‖ IP ‖ user agent), each part length-prefixed, cut to 16 bytes (hex). */
function visitorId(site: string, ip: string, userAgent: string): string {
  const mac = createHmac("sha256", salt);
  for (const part of [site, ip, userAgent]) {
    const bytes = Buffer.from(part, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    mac.update(len).update(bytes);
  }
  return mac.digest("hex").slice(0, 32);
}

function hourBucket(now: number) {
  if (now >= bucket.start && now < bucket.end) return bucket;
  const start = zone.hourStart(now);
  const iso = new Date(start).toISOString();
  bucket = { start, end: start + 3_600_000, day: zone.dayOf(start), hour: `${iso.slice(0, 10)} ${iso.slice(11, 19)}` };
  return bucket;
}

/** The row of one page view, or a status to answer at once. */
function reduce(body: Buffer, req: IncomingMessage): (string | null)[] | number {
  const type = req.headers["content-type"]?.split(";", 1)[0]!.trim().toLowerCase();
  if (type !== "text/plain" && type !== "application/json") return 400;
  const userAgent = req.headers["user-agent"];
  if (!userAgent || userAgent.length > 1024) return 202;
  const browser = browsers.of(userAgent);
  if (browser === null) return 202;
  let event: { url?: unknown; referrer?: unknown };
  try {
    event = JSON.parse(body.toString("utf8")) as typeof event;
  } catch {
    return 400;
  }
  if (typeof event !== "object" || event === null || typeof event.url !== "string") return 400;
  const page = reducePageUrl(event.url);
  if (!page) return 400;
  const ip = req.socket.remoteAddress ?? "";
  const { day, hour } = hourBucket(Date.now());
  const referrer = typeof event.referrer === "string" ? event.referrer : null;
  return [
    day,
    hour,
    visitorId(page.host, ip.startsWith("::ffff:") ? ip.slice(7) : ip, userAgent),
    page.path,
    referrerDomain(referrer, page.host, NO_HOSTS),
    browser,
    page.utmSource,
    page.utmMedium,
    page.utmCampaign,
  ];
}

// batch: the buffer, written by one insert at a time.
const pending: (string | null)[][] = [];
let timer: NodeJS.Timeout | null = null;
let draining = false;

function schedule(delayMs: number): void {
  if (timer && delayMs > 0) return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void drain();
  }, delayMs);
}

async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  try {
    while (pending.length > 0) {
      const batch = pending.splice(0, BATCH_SIZE);
      const sql = `INSERT INTO \`stats_page_view\` (${COLUMNS}) VALUES ${Array(batch.length).fill(TUPLE).join(", ")}`;
      await pool!.query(sql, batch.flat());
    }
  } catch (error) {
    console.error(error);
  } finally {
    draining = false;
  }
}

const accepted: Buffer[] = [];

function answer(res: ServerResponse, status: number): void {
  res.writeHead(status, { "cache-control": "no-store", "content-length": 0 });
  res.end();
}

const server = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/api/event") return answer(res, 404);
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (size > MAX_BODY) return answer(res, 413);
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (mode === "accept") {
      accepted.push(body);
      if (accepted.length >= BATCH_SIZE) accepted.length = 0;
      return answer(res, 202);
    }
    const row = reduce(body, req);
    if (typeof row === "number") return answer(res, row);
    if (mode === "batch") {
      pending.push(row);
      schedule(pending.length >= BATCH_SIZE ? 0 : FLUSH_MS);
      return answer(res, 202);
    }
    pool!.query(`INSERT INTO \`stats_page_view\` (${COLUMNS}) VALUES ${TUPLE}`, row).then(
      () => answer(res, 202),
      (error: unknown) => {
        console.error(error);
        answer(res, 503);
      },
    );
  });
});

server.keepAliveTimeout = 72_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(`BASELINE_PORT=${typeof address === "object" && address ? address.port : ""}`);
});
process.on("SIGTERM", () =>
  server.close(() => void (pool ? pool.end() : Promise.resolve()).then(() => process.exit(0))),
);
