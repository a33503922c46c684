import { hmac, newId, randomToken, type RequestContext } from "@honour/platform";
import { Column, IsNull, LessThanOrEqual, MoreThan, PrimaryColumn, type FindOptionsWhere } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";

/**
 * The columns of every single-use link mailed to an account (email verification, email change,
 * password reset). Only the HMAC (server secret) of the link's token is stored, so a copy of the
 * table opens nothing. A link works once, until `expiresAt`, and only while `endedAt` is null.
 * Each link's entity extends this with its table, its indexes (the token hash's unique one among
 * them), its account relation and columns of its own.
 */
export abstract class SingleUseLinkColumns {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** Hex HMAC-SHA256 of the link's token. */
  @Column({ type: "char", length: 64 })
  tokenHash!: string;

  @Column({ type: "char", length: 36 })
  userId!: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  expiresAt!: Date;

  /** When the link stopped working before it expired: used, superseded, or what it spoke for changed. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  endedAt!: Date | null;
}

type LinkEntity<T extends SingleUseLinkColumns> = new () => T;
/** What a link's own columns hold when it is issued (besides the common ones and the relation). */
type OwnColumns<T> = Omit<T, keyof SingleUseLinkColumns | "user">;

/** A token as typed or pasted: trimmed, or "" when it cannot be one. */
export function tokenOf(raw: unknown): string {
  const token = typeof raw === "string" ? raw.trim() : "";
  return token.length > 200 ? "" : token;
}

/** Ends every live link of `userId` in `entity`'s table (a newer link, a change it spoke for). In the caller's transaction. */
export async function endLinks<T extends SingleUseLinkColumns>(
  ctx: RequestContext,
  entity: LinkEntity<T>,
  userId: string,
): Promise<void> {
  await ctx.manager.update(
    entity,
    { userId, endedAt: IsNull() } as FindOptionsWhere<T>,
    { endedAt: ctx.clock.now() } as unknown as QueryDeepPartialEntity<T>,
  );
}

/**
 * Deletes the links of `entities` that expired, or ended, `retentionMs` ago or longer (a job).
 * Returns how many.
 */
export async function deleteStaleLinks(
  ctx: RequestContext,
  entities: readonly LinkEntity<SingleUseLinkColumns>[],
  retentionMs: number,
): Promise<number> {
  const cutoff = LessThanOrEqual(new Date(ctx.clock.now().getTime() - retentionMs));
  let deleted = 0;
  for (const entity of entities) {
    const result = await ctx.manager.delete(entity, [{ expiresAt: cutoff }, { endedAt: cutoff }]);
    deleted += result.affected ?? 0;
  }
  return deleted;
}

/**
 * One kind of single-use link: issues links (a 256-bit random token in the URL of `pagePath`,
 * only its keyed hash under `label` stored, `ttlMs` to live, the account's older links of the kind
 * ended) and redeems them once.
 */
export class SingleUseLinks<T extends SingleUseLinkColumns> {
  constructor(
    private readonly entity: LinkEntity<T>,
    private readonly secret: string,
    /** Separates this kind's hashes from any other HMAC made with the secret. */
    private readonly label: string,
    private readonly ttlMs: number,
    /** The page the link opens: `${PUBLIC_URL}${path}`. */
    private readonly pageUrl: string,
  ) {}

  /**
   * Ends `userId`'s live links of this kind and stores a new one with `own` columns; returns it and
   * the URL to mail (`token`: one made beforehand, else a new one). In the caller's transaction.
   */
  async issue(
    tx: RequestContext,
    userId: string,
    own: OwnColumns<T>,
    token = randomToken(32),
  ): Promise<{ row: T; url: string }> {
    const now = tx.clock.now();
    await endLinks(tx, this.entity, userId);
    const row: T = Object.assign(new this.entity(), {
      id: newId(now.getTime()),
      tokenHash: this.hashOf(token),
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlMs),
      endedAt: null,
      ...own,
    });
    await tx.manager.insert(this.entity, row as QueryDeepPartialEntity<T>);
    return { row, url: `${this.pageUrl}?token=${encodeURIComponent(token)}` };
  }

  /** The live link of `rawToken` (not ended, not expired), or null. Reads only. */
  findLive(ctx: RequestContext, rawToken: string): Promise<T | null> {
    const token = tokenOf(rawToken);
    if (token === "") return Promise.resolve(null);
    return ctx.manager.findOne(this.entity, {
      where: {
        tokenHash: this.hashOf(token),
        endedAt: IsNull(),
        expiresAt: MoreThan(ctx.clock.now()),
      } as FindOptionsWhere<T>,
    });
  }

  /**
   * Uses the link of `rawToken`: ends it (with `done`, its own columns of the moment, e.g. when it
   * verified) and returns it, or null when it is not live. Of two requests with the same link, one
   * ends it and the other gets null. In the caller's transaction.
   */
  async redeem(tx: RequestContext, rawToken: string, done?: OwnColumns<Partial<T>>): Promise<T | null> {
    const live = await this.findLive(tx, rawToken);
    if (!live) return null;
    const now = tx.clock.now();
    const ended = await tx.manager.update(
      this.entity,
      { id: live.id, endedAt: IsNull(), expiresAt: MoreThan(now) } as FindOptionsWhere<T>,
      { endedAt: now, ...done } as unknown as QueryDeepPartialEntity<T>,
    );
    return ended.affected ? live : null;
  }

  /** Deletes every link of this kind of `userId` (account closure). */
  async forget(ctx: RequestContext, userId: string): Promise<void> {
    await ctx.manager.delete(this.entity, { userId } as FindOptionsWhere<T>);
  }

  private hashOf(token: string): string {
    return hmac(this.secret, this.label, token);
  }
}
