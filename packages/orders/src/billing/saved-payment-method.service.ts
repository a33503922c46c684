import { newId, NotFoundException, type RequestContext } from "@honour/platform";
import { In } from "typeorm";
import type { CardSummary } from "../payment/card";
import { SavedPaymentMethodEntity } from "./saved-payment-method.entity";

/**
 * Cards kept on profiles ("billing information may be added to your profile"): only when the
 * buyer asks, only while their profile keeps billing details, and only the provider's token with
 * the brand, last four digits and expiry.
 */
export class SavedPaymentMethodService {
  /** The saved cards of these accounts, oldest first. */
  async listFor(ctx: RequestContext, userIds: readonly string[]): Promise<SavedPaymentMethodEntity[]> {
    if (userIds.length === 0) return [];
    return ctx.manager.find(SavedPaymentMethodEntity, { where: { userId: In([...userIds]) }, order: { id: "ASC" } });
  }

  /** One of the account's saved cards, or null (also for another account's card). */
  async findOwn(ctx: RequestContext, userId: string, id: string): Promise<SavedPaymentMethodEntity | null> {
    return ctx.manager.findOneBy(SavedPaymentMethodEntity, { id, userId });
  }

  /**
   * Keeps a card on the profile. Saving the same card again (brand, last four and expiry) replaces
   * its token rather than adding a second entry, also when orders placed at the same moment save it
   * together: one upsert on the card's unique index (MySQL's `ON DUPLICATE KEY UPDATE`, SQLite's
   * `ON CONFLICT … DO UPDATE`). An INSERT that fails on the index and is followed by a re-read does
   * not work on MySQL/MariaDB: the re-read sees the transaction's snapshot, which predates the other
   * order's row, and the shared locks such INSERTs leave behind deadlock their UPDATEs.
   */
  async save(
    ctx: RequestContext,
    userId: string,
    provider: string,
    token: string,
    card: CardSummary,
  ): Promise<SavedPaymentMethodEntity> {
    const now = ctx.clock.now();
    const same = {
      userId,
      brand: card.brand,
      last4: card.last4,
      expiryMonth: card.expiryMonth,
      expiryYear: card.expiryYear,
    };
    await ctx.manager
      .createQueryBuilder()
      .insert()
      .into(SavedPaymentMethodEntity)
      .values({ id: newId(now.getTime()), ...same, provider, token, createdAt: now, updatedAt: now })
      .orUpdate(["provider", "token", "updatedAt"], Object.keys(same))
      .updateEntity(false)
      .execute();
    // This transaction wrote the row last (and on MySQL holds its lock), so its own read sees it.
    return ctx.manager.findOneByOrFail(SavedPaymentMethodEntity, same);
  }

  /** Deletes one of the account's saved cards. `NOT_FOUND` for an unknown id or another account's card. */
  async delete(outer: RequestContext, userId: string, id: string): Promise<void> {
    return outer.transaction(async (ctx) => {
      const result = await ctx.manager.delete(SavedPaymentMethodEntity, { id, userId });
      if ((result.affected ?? 0) === 0) throw new NotFoundException("Saved payment method");
    });
  }

  /** Deletes every saved card of an account (it stopped keeping billing details). Returns how many. */
  async deleteAllFor(ctx: RequestContext, userId: string): Promise<number> {
    const result = await ctx.manager.delete(SavedPaymentMethodEntity, { userId });
    return result.affected ?? 0;
  }

  /** Deletes cards whose expiry month is over: they can never be charged again. Returns how many. */
  async deleteExpired(ctx: RequestContext): Promise<number> {
    const now = ctx.clock.now();
    const result = await ctx.manager
      .createQueryBuilder()
      .delete()
      .from(SavedPaymentMethodEntity)
      .where("expiryYear < :year OR (expiryYear = :year AND expiryMonth < :month)", {
        year: now.getUTCFullYear(),
        month: now.getUTCMonth() + 1,
      })
      .execute();
    return result.affected ?? 0;
  }
}
