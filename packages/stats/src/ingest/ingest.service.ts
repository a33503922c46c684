import { randomUUID } from "node:crypto";
import type { BlockList } from "node:net";
import { hmac, HOUR_MS, isMysql, RequestContext, runInTransaction, type Clock, type Logger } from "@honour/platform";
import type { DataSource } from "typeorm";
import type { SaltService } from "../salt/salt.service";
import { addDays, type LocalDay, type SiteTimeZone } from "../zone/site-time-zone";
import { inRanges, normaliseIp } from "./ip-ranges";
import { BrowserFamilies, reducePageUrl, referrerDomain } from "./page-view-reduction";

/** What the tracking endpoint answers. */
export type IngestStatus = 202 | 400 | 413 | 503;

/** One request to the tracking endpoint, as the gateway hands it over (framework-free). */
export interface IngestRequest {
  /** The raw body: `{"url": …, "referrer": …}` as text/plain (sendBeacon) or application/json. */
  body: string | Buffer;
  contentType: string | undefined;
  headers: {
    userAgent: string | undefined;
    /** The `DNT` header. */
    dnt: string | undefined;
    /** The `Sec-GPC` header. */
    secGpc: string | undefined;
    /** The `Referer` header: the page that sent the beacon; used when the body names no url. */
    referer?: string | undefined;
  };
  /** The client's address, as the gateway determined it. */
  ip: string;
}

export interface IngestSettings {
  /** Largest body accepted, in bytes; larger is 413. */
  maxBodyBytes: number;
  /** Page views held in memory at most; past it (the database unreachable) the answer is 503. */
  bufferLimit: number;
  /** Rows per multi-row insert; a full batch is written at once. */
  batchSize: number;
  /** A page view waits at most this long before it is written. */
  flushIntervalMs: number;
  /** Longest wait between attempts while the database is unreachable. */
  maxRetryMs: number;
  /** Hosts of the site: referrers from them are self-referrals; when not empty, pages elsewhere are ignored. */
  siteHosts: ReadonlySet<string>;
  excludedIps: BlockList;
}

/** A page view waiting to be written, already reduced. */
interface PendingView {
  /** Given on acceptance ({@link EventIds}); the insert is idempotent on it (a retried batch is counted once). */
  eventId: string;
  day: LocalDay;
  /** The hour column's value, as the driver wants it. */
  hour: string;
  visitorId: string | null;
  path: string;
  referrerDomain: string | null;
  browser: string;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  /**
   * Site, IP and user agent, held only while the day's salt is not in memory yet (the first
   * moments of a day, or the database unreachable then); replaced by the visitor id before the
   * row is written. Never stored.
   */
  identity: [string, string, string] | null;
}

const COLUMNS = [
  "eventId",
  "day",
  "hour",
  "visitorId",
  "path",
  "referrerDomain",
  "browser",
  "utmSource",
  "utmMedium",
  "utmCampaign",
] as const;

const ACCEPTED_TYPES = new Set(["text/plain", "application/json"]);
const VISITOR_ID_HEX = 32; // 16 bytes
const MAX_USER_AGENT = 1024;

/**
 * The tracking endpoint's work, without the HTTP framework: decides at once what to answer,
 * reduces a page view to what the statistics keep (no IP address, no user agent), and buffers it;
 * the buffer is written as one multi-row insert every `flushIntervalMs` or `batchSize` views.
 * Nothing on the request path waits for the database.
 *
 * While the database is unreachable the buffer keeps what it accepted (up to `bufferLimit`
 * views, then the answer is 503) and writes it once the database is back.
 */
export class IngestService {
  private pending: PendingView[] = [];
  private inFlight = 0;
  private draining: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerImmediate = false;
  private failures = 0;
  private closed = false;
  private readonly browsers = new BrowserFamilies();
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  private readonly statements = new Map<number, string>();
  private readonly eventIds = new EventIds();
  private readonly mysql: boolean;
  private readonly system: RequestContext;
  /** The local hour the last page view fell in, so the time zone is consulted once an hour. */
  private bucket = { start: 0, end: 0, day: "", hour: "" };
  private saltRetryAt = 0;
  /** The site in the visitor id: the first configured host, else each page's own host. */
  private readonly siteId: string | undefined;
  private readonly excluding: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly zone: SiteTimeZone,
    private readonly salts: SaltService,
    private readonly settings: IngestSettings,
  ) {
    this.mysql = isMysql(dataSource);
    this.system = new RequestContext(dataSource, { kind: "system", name: "stats.ingest" }, clock);
    this.siteId = [...settings.siteHosts][0];
    // Checking an address against an empty list still costs a SocketAddress per event.
    this.excluding = settings.excludedIps.rules.length > 0;
  }

  /** Page views accepted and not yet written. */
  get buffered(): number {
    return this.pending.length + this.inFlight;
  }

  /**
   * Answers one tracking request: 202 whether the view is counted or deliberately dropped (Do Not
   * Track, Global Privacy Control, a bot, an excluded address, a page of another site), 400 for a
   * body that is not a page view, 413 for a body over the limit, 503 while the buffer is full.
   * Never throws and never waits.
   */
  accept(request: IngestRequest): IngestStatus {
    const { body, headers } = request;
    if (this.closed) return 503;
    if (typeof body === "string") {
      if (body.length > this.settings.maxBodyBytes) return 413;
      if (body.length * 3 > this.settings.maxBodyBytes && Buffer.byteLength(body) > this.settings.maxBodyBytes) {
        return 413;
      }
    } else if (body.length > this.settings.maxBodyBytes) {
      return 413;
    }
    // The visitor asked not to be tracked: drop before reading anything else.
    if (isOn(headers.dnt) || isOn(headers.secGpc)) return 202;
    const mediaType = request.contentType?.split(";", 1)[0]!.trim().toLowerCase();
    if (!mediaType || !ACCEPTED_TYPES.has(mediaType)) return 400;
    if (this.buffered >= this.settings.bufferLimit) return 503;

    const userAgent = headers.userAgent;
    if (!userAgent || userAgent.length > MAX_USER_AGENT) return 202; // not a browser
    const browser = this.browsers.of(userAgent);
    if (browser === null) return 202; // a bot
    const ip = normaliseIp(request.ip);
    if (this.excluding && inRanges(this.settings.excludedIps, ip)) return 202;

    const event = this.parse(body);
    if (!event) return 400;
    const page = reducePageUrl(event.url ?? headers.referer ?? "");
    if (!page) return 400;
    const siteHosts = this.settings.siteHosts;
    if (siteHosts.size > 0 && !siteHosts.has(page.host)) return 202; // someone else's page

    const bucket = this.bucketAt(this.clock.now().getTime());
    const site = this.siteId ?? page.host;
    const salt = this.salts.cached(bucket.day);
    const view: PendingView = {
      eventId: this.eventIds.next(),
      day: bucket.day,
      hour: bucket.hour,
      visitorId: salt ? visitorId(salt, site, ip, userAgent) : null,
      path: page.path,
      referrerDomain: referrerDomain(event.referrer, page.host, siteHosts),
      browser,
      utmSource: page.utmSource,
      utmMedium: page.utmMedium,
      utmCampaign: page.utmCampaign,
      identity: salt ? null : [site, ip, userAgent],
    };
    if (!salt) this.prefetchSalt(bucket.day);
    this.pending.push(view);
    this.scheduleAfterPush();
    return 202;
  }

  /**
   * Writes every page view buffered so far. Rejects when the database refuses; the views stay
   * buffered and are retried.
   */
  flush(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  /**
   * For graceful shutdown: stops accepting (503 from now on) and writes what is buffered.
   * Rejects, naming how many accepted views were lost, when the database cannot take them.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      await this.flush();
    } catch (error) {
      throw new Error(`${this.buffered} accepted page views could not be written at shutdown`, { cause: error });
    }
  }

  private parse(body: string | Buffer): { url: string | undefined; referrer: string | null } | null {
    let text: string;
    if (typeof body === "string") {
      text = body;
    } else {
      try {
        text = this.decoder.decode(body);
      } catch {
        return null; // not UTF-8
      }
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
    const { url, referrer } = value as { url?: unknown; referrer?: unknown };
    if (url !== undefined && typeof url !== "string") return null;
    return { url, referrer: typeof referrer === "string" ? referrer : null };
  }

  private bucketAt(now: number): { day: LocalDay; hour: string } {
    const bucket = this.bucket;
    if (now >= bucket.start && now < bucket.end) return bucket;
    const start = this.zone.hourStart(now);
    const day = this.zone.dayOf(start);
    // The hour ends an hour later, or earlier if the offset changes within it.
    const next = this.zone.hourStart(start + HOUR_MS);
    const end = next > start ? next : start + HOUR_MS;
    if (day !== bucket.day) this.salts.forgetBefore(addDays(day, -1));
    this.bucket = { start, end, day, hour: this.datetimeText(start) };
    return this.bucket;
  }

  /** A datetime parameter as each driver stores TypeORM's `datetime` columns (UTC). */
  private datetimeText(ms: number): string {
    const iso = new Date(ms).toISOString(); // 2026-11-25T12:00:00.000Z
    return this.mysql ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }

  private prefetchSalt(day: LocalDay): void {
    const now = Date.now();
    if (now < this.saltRetryAt) return;
    this.saltRetryAt = now + 1000; // one attempt a second at most while it fails
    this.salts.saltFor(this.system, day).then(
      () => {
        this.saltRetryAt = 0;
      },
      (err: unknown) => this.logger.warn({ err, event: "stats.salt_unavailable" }, "cannot read the day's salt yet"),
    );
  }

  private scheduleAfterPush(): void {
    if (this.failures > 0) return; // the retry timer is already set
    if (this.pending.length >= this.settings.batchSize) {
      if (!this.draining) this.schedule(0);
    } else {
      this.schedule(this.settings.flushIntervalMs);
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) {
      if (delayMs > 0 || this.timerImmediate) return;
      clearTimeout(this.timer);
    }
    this.timerImmediate = delayMs === 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerImmediate = false;
      this.flush().then(
        () => {
          if (this.failures > 0) {
            this.logger.info(
              { event: "stats.writes_resumed", failures: this.failures },
              "page views are written again",
            );
          }
          this.failures = 0;
        },
        (err: unknown) => {
          this.failures += 1;
          // Once per outage at warn, then quietly: the 503s say the rest.
          const level = this.failures === 1 ? "warn" : "debug";
          this.logger[level](
            { err, event: "stats.write_failed", buffered: this.buffered, attempt: this.failures },
            "cannot write page views; keeping them buffered",
          );
          if (!this.closed) {
            this.schedule(Math.min(this.settings.flushIntervalMs * 2 ** this.failures, this.settings.maxRetryMs));
          }
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  /**
   * Writes batches until the buffer is empty. On MariaDB/MySQL two inserts are in flight, so one
   * batch's round trip and commit overlap the next's (one at a time fell behind 20 000 views a
   * second); SQLite has one connection and takes one. After a failure no new batch is started, and
   * every failed batch goes back to the buffer.
   */
  private async drain(): Promise<void> {
    let failure: { error: unknown } | null = null;
    const writer = async () => {
      while (!failure && this.pending.length > 0) {
        const batch = this.pending.splice(0, this.settings.batchSize);
        this.inFlight += batch.length;
        try {
          await this.write(batch);
        } catch (error) {
          this.pending = batch.concat(this.pending);
          failure ??= { error };
        } finally {
          this.inFlight -= batch.length;
        }
      }
    };
    await Promise.all(this.mysql ? [writer(), writer()] : [writer()]);
    if (failure) throw (failure as { error: unknown }).error;
  }

  private async write(batch: PendingView[]): Promise<void> {
    for (const view of batch) {
      if (!view.identity) continue;
      const salt = this.salts.cached(view.day) ?? (await this.salts.saltFor(this.system, view.day));
      const [site, ip, userAgent] = view.identity;
      view.visitorId = visitorId(salt, site, ip, userAgent);
      view.identity = null;
    }
    const params: (string | null)[] = new Array(batch.length * COLUMNS.length);
    let i = 0;
    for (const view of batch) {
      params[i++] = view.eventId;
      params[i++] = view.day;
      params[i++] = view.hour;
      params[i++] = view.visitorId;
      params[i++] = view.path;
      params[i++] = view.referrerDomain;
      params[i++] = view.browser;
      params[i++] = view.utmSource;
      params[i++] = view.utmMedium;
      params[i++] = view.utmCampaign;
    }
    const sql = this.insertStatement(batch.length);
    if (this.mysql) {
      await this.dataSource.query(sql, params);
    } else {
      // SQLite shares one connection: outside a turn of its own the insert would join (and roll
      // back with) whatever transaction another request has open.
      await runInTransaction(this.dataSource, (manager) => manager.query(sql, params));
    }
  }

  private insertStatement(rows: number): string {
    let sql = this.statements.get(rows);
    if (!sql) {
      const q = (name: string) => (this.mysql ? `\`${name}\`` : `"${name}"`);
      const tuple = `(${COLUMNS.map(() => "?").join(", ")})`;
      // A batch is retried when its answer was lost, and its commit may have landed: rows already
      // written (the same eventId) are skipped, so each accepted view is counted exactly once.
      const skipWritten = this.mysql
        ? ` ON DUPLICATE KEY UPDATE ${q("eventId")} = ${q("eventId")}`
        : ` ON CONFLICT (${q("eventId")}) DO NOTHING`;
      sql = `INSERT INTO ${q("stats_page_view")} (${COLUMNS.map(q).join(", ")}) VALUES ${Array(rows).fill(tuple).join(", ")}${skipWritten}`;
      if (this.statements.size > 16) this.statements.clear();
      this.statements.set(rows, sql);
    }
    return sql;
  }
}

/**
 * The event ids of one process: a random prefix drawn once (74 random bits, UUID version 8 in
 * form) and a counter in the last 12 hex digits. Unique, since no two processes draw the same
 * prefix, and in the order the views were accepted, so the unique index takes them at one place
 * per process, as it takes auto-increment keys. A random UUID per view lands anywhere in an index
 * that grows by millions of rows a day: at 20 000 views a second the database fell behind and
 * the buffer filled (503). Says no more than the row's auto-increment id does: no time, nothing of
 * the visitor; a fresh random UUID costs as much as this, a time-ordered one (`newId`) forty times
 * more, and would put the exact time back into a row that keeps only the hour.
 */
class EventIds {
  private readonly prefix: string;
  private count = 0;

  constructor() {
    const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx
    this.prefix = `${random.slice(0, 14)}8${random.slice(15, 24)}`;
  }

  next(): string {
    const count = this.count++;
    return this.prefix + count.toString(16).padStart(12, "0");
  }
}

/** The day's visitor id: HMAC-SHA256 keyed with the day's salt over site ‖ IP ‖ user agent, 16 bytes. */
export function visitorId(salt: Buffer, site: string, ip: string, userAgent: string): string {
  return hmac(salt, site, ip, userAgent).slice(0, VISITOR_ID_HEX);
}

/** `1`, also when the header came twice and the server joined the values (`1, 1`). */
function isOn(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.trim() === "1" || header.split(",").some((value) => value.trim() === "1");
}
