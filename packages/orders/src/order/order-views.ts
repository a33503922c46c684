import type { RequestContext } from "@honour/platform";

/** One person's `ORDERS_VIEWED` entry in one request: what it names so far. */
export interface OrderViewEntry {
  /** The entry's id, chosen at the request's first read of this person's orders and kept. */
  readonly id: string;
  /** The person's user id once one of the orders read is in their history; else unknown (null). */
  readonly userId: string | null;
  /** The numbers of every order of theirs read. */
  readonly numbers: ReadonlySet<number>;
}

/**
 * The `ORDERS_VIEWED` entries one transaction sees: those its request committed before it, then
 * its own. What it writes counts for the request only once it commits ({@link OrderViewsOfRequest}).
 * A fresh one (the default of the services' methods) is a request of its own.
 */
export class OrderViews {
  /** What this transaction wrote, by person (see `OrderViewAuditService.record`). */
  readonly written = new Map<string, OrderViewEntry>();

  constructor(private readonly committed: ReadonlyMap<string, OrderViewEntry> = new Map()) {}

  get(person: string): OrderViewEntry | undefined {
    return this.written.get(person) ?? this.committed.get(person);
  }

  set(person: string, entry: OrderViewEntry): void {
    this.written.set(person, entry);
  }
}

/**
 * A GraphQL request's staff reads of orders, so that each person gets one `ORDERS_VIEWED` entry
 * per request naming every order of theirs read, whichever fields (aliases of `order`, `orders`,
 * several `assignOrder`s) read them.
 *
 * Each field runs its own transaction, and the entry must commit with the read or not at all. So
 * the first read writes the entry under an id chosen for the request, and each later read
 * rewrites that entry (subject and detail) with everything read so far, in its own transaction.
 * Two things keep that exact:
 *
 * - the request's transactions run **one after the other** through {@link transaction} (aliases
 *   of a query would otherwise run in parallel): a rewrite always starts from what the earlier
 *   ones committed, so none is lost to a concurrent rewrite. The turn is taken before the
 *   transaction opens, so no database lock is ever held while waiting for it;
 * - what a transaction wrote joins the request's entries only **after it commits**: one that
 *   rolls back (a `CONFLICT` on `assignOrder`) takes its rewrite with it, and the next read writes
 *   the entry from what did commit.
 *
 * No other request ever writes these ids, so nothing outside the request is involved.
 */
export class OrderViewsOfRequest {
  private readonly committed = new Map<string, OrderViewEntry>();
  private turn: Promise<void> = Promise.resolve();

  /** Runs `work` in a transaction of its own (`ctx` must not be in one), after the request's earlier ones. */
  async transaction<T>(ctx: RequestContext, work: (tx: RequestContext, views: OrderViews) => Promise<T>): Promise<T> {
    if (ctx.inTransaction) throw new Error("OrderViewsOfRequest.transaction opens its own transaction");
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      const views = new OrderViews(this.committed);
      const result = await ctx.transaction((tx) => work(tx, views));
      for (const [person, entry] of views.written) this.committed.set(person, entry);
      return result;
    } finally {
      release();
    }
  }
}
