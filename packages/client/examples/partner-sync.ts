/**
 * A reseller's sync with Honour, to run as it is (every few minutes, from cron or a loop):
 *
 *   HONOUR_URL=https://shop.example.com/graphql HONOUR_API_KEY=hpk_… STATE_FILE=./honour-sync.json \
 *     npx tsx partner-sync.ts
 *
 * 1. Reads the orders assigned to you with their contacts, a page at a time, and processes each one
 *    not seen before (here: prints it; put your fulfilment here) keeping a local copy keyed by the
 *    order id. `partnerOrders` is newest first, so the saved cursor is the place within the current
 *    pass over your assigned orders: it is written after every page, and a run that crashed resumes
 *    after the last page it finished. A finished pass starts the next run from the newest again.
 * 2. Applies erasure notices: deletes the local copies of the orders a notice names, polling from
 *    five minutes before the newest notice applied (notices can appear late) and skipping notices
 *    already applied.
 *
 * Every contact read is recorded by Honour as a disclosure to you; read them only to fulfil orders.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createHonourClient, type PartnerOrder } from "@honour/client";

/** What the sync remembers between runs: in STATE_FILE, as JSON. */
export interface SyncState {
  /** endCursor of the last page processed in the current pass; null between passes. */
  cursor: string | null;
  /** The newest erasedAt of the notices applied. */
  noticesSince: string | null;
  /** Notices applied in the last few minutes, id → erasedAt, so a late re-delivery is skipped. */
  appliedNotices: Record<string, string>;
  /** The local copies of contacts, keyed by order id. */
  orders: Record<string, LocalOrder>;
}

export interface LocalOrder {
  number: string;
  contact: NonNullable<PartnerOrder["contact"]>;
  lines: { sku: string; quantity: number }[];
  receivedAt: string;
}

export interface SyncOptions {
  url: string;
  apiKey: string;
  stateFile: string;
  /** Page size, 1–100. */
  pageSize?: number;
  /** Where the processed orders and erasures are reported; console.log by default. */
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

export interface SyncSummary {
  processed: number;
  erased: number;
  pages: number;
}

/** Notices can appear up to this long after their erasedAt (see partnerErasureNotices). */
const NOTICE_DELAY_MS = 5 * 60 * 1000;

export function loadState(file: string): SyncState {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as SyncState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { cursor: null, noticesSince: null, appliedNotices: {}, orders: {} };
    }
    throw error;
  }
}

/** Writes the whole state to a temporary file first, so a crash never leaves half a file. */
export function saveState(file: string, state: SyncState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file);
}

/** One run: new orders, then erasure notices. */
export async function syncPartner(options: SyncOptions): Promise<SyncSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const honour = createHonourClient({ url: options.url, apiKey: options.apiKey, fetch: options.fetch });
  const state = loadState(options.stateFile);
  const summary: SyncSummary = { processed: 0, erased: 0, pages: 0 };

  for await (const page of honour.partnerOrderPages({ after: state.cursor, pageSize: options.pageSize ?? 50 })) {
    for (const order of page.nodes) {
      // Already copied, or its buyer's contact was erased (the order stays assigned, its contact
      // now "(erased)"): nothing to do.
      if (state.orders[order.id] || order.contactErasedAt || !order.contact) continue;
      // Your fulfilment goes here. It must be safe to run twice for an order: a crash before the
      // page's state is saved processes that page again.
      log(`order ${order.number}: ${order.contact.name} <${order.contact.email}>, ${describeLines(order)}`);
      state.orders[order.id] = {
        number: order.number,
        contact: order.contact,
        lines: order.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
        receivedAt: new Date().toISOString(),
      };
      summary.processed += 1;
    }
    summary.pages += 1;
    state.cursor = page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null;
    saveState(options.stateFile, state);
  }

  const since = state.noticesSince ? new Date(Date.parse(state.noticesSince) - NOTICE_DELAY_MS).toISOString() : null;
  for await (const notice of honour.partnerErasureNotices({ since })) {
    if (state.appliedNotices[notice.id]) continue;
    const numbers = new Set(notice.orderNumbers);
    for (const [orderId, copy] of Object.entries(state.orders)) {
      if (!numbers.has(copy.number)) continue;
      delete state.orders[orderId];
      log(`erased order ${copy.number}`);
      summary.erased += 1;
    }
    state.appliedNotices[notice.id] = notice.erasedAt;
    if (!state.noticesSince || Date.parse(notice.erasedAt) > Date.parse(state.noticesSince)) {
      state.noticesSince = notice.erasedAt;
    }
    saveState(options.stateFile, state);
  }
  // Forget applied notices older than any poll can return again.
  const horizon = state.noticesSince ? Date.parse(state.noticesSince) - 2 * NOTICE_DELAY_MS : -Infinity;
  for (const [id, erasedAt] of Object.entries(state.appliedNotices)) {
    if (Date.parse(erasedAt) < horizon) delete state.appliedNotices[id];
  }
  saveState(options.stateFile, state);
  return summary;
}

function describeLines(order: PartnerOrder): string {
  return order.lines.map((line) => `${line.quantity} × ${line.sku}`).join(", ");
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`Set ${name} (see the top of partner-sync.ts).`);
    process.exit(2);
  }
  return value;
}

if (require.main === module) {
  syncPartner({
    url: required("HONOUR_URL"),
    apiKey: required("HONOUR_API_KEY"),
    stateFile: required("STATE_FILE"),
  }).then(
    (summary) => console.log(`done: ${summary.processed} new orders, ${summary.erased} copies erased`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
