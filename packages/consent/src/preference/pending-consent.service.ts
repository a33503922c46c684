import {
  Channel,
  normaliseEmail,
  type CommunicationChoice,
  type DomainEventMap,
  type PersonalDataContributor,
  type PersonalDataSubject,
  type RequestContext,
} from "@honour/platform";
import { In } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { PolicyService } from "../policy/policy.service";
import { PERSONAL_SUPPRESSION_REASONS, SuppressionEntity } from "../suppression/suppression.entity";
import type { SuppressionService } from "../suppression/suppression.service";
import { ConsentPreferenceEntity } from "./consent-preference.entity";
import { ConsentProofEntity } from "./consent-proof.entity";
import { ConsentActorKind, ConsentMethod } from "./consent-event.entity";
import { SOFT_OPT_IN, type ConsentService } from "./consent.service";
import { PendingConsentEntity } from "./pending-consent.entity";

/** The name of the pending consents' section in a data export. */
export const PENDING_CONSENT_PERSONAL_DATA = "pendingConsent";

/**
 * Double opt-in: consent's side of the account address's life, reacting to the users' events.
 *
 * - `users.registered`: the form's choices (or, without a choice, the policy's soft opt-in) wait in
 *   `pending_consent`. Nothing is granted and no suppression is lifted for an address nobody has
 *   proved is the registrant's, so registering with somebody else's address cannot opt it in or
 *   undo its ACCOUNT_CLOSED or staff-recorded suppression.
 * - `setPreferences` of an account whose address is not verified: its email grants wait there too
 *   (method PREFERENCE_CENTRE), shown as `pending`.
 * - `users.emailVerified`: what waited is recorded as it would have been with a verified address
 *   (the ticked pairs granted, by the registration form or the preference centre, and for email the
 *   address's suppression lifted now that its owner ticked them; what is left of the soft opt-in
 *   granted only to an address not suppressed), and each new ledger entry gets a
 *   {@link ConsentProofEntity} naming the verification.
 * - `users.emailChanged`: the person's own opt-outs of the old address (UNSUBSCRIBED,
 *   REMOVAL_REQUEST, COMPLAINT) are applied to the new one, since the policy honours a person's
 *   request to be removed, not an address's; a BOUNCED entry stays with the address that bounced.
 *   Grants are the account's, so they follow by themselves.
 *
 * It is also the personal data contributor of what still waits: exported, and deleted by closure.
 */
export class PendingConsentService implements PersonalDataContributor {
  readonly name = PENDING_CONSENT_PERSONAL_DATA;

  constructor(
    private readonly policy: PolicyService,
    private readonly consent: ConsentService,
    private readonly suppressions: SuppressionService,
  ) {}

  /** Keeps the registration form's choices until the address is verified (in the registration's transaction). */
  async recordRegistration(ctx: RequestContext, event: DomainEventMap["users.registered"]): Promise<void> {
    const ticked = event.communications !== null;
    const choices: readonly CommunicationChoice[] = event.communications ?? SOFT_OPT_IN;
    if (choices.length === 0) return;
    const policyVersion = await this.policy.currentVersion(ctx);
    const chosenAt = ctx.clock.now();
    const rows = choices.map(({ topic, channel }) => ({
      userId: event.userId,
      topic,
      channel,
      ticked,
      policyVersion,
      chosenAt,
    }));
    await ctx.manager
      .createQueryBuilder()
      .insert()
      .into(PendingConsentEntity)
      .values(rows as QueryDeepPartialEntity<PendingConsentEntity>[])
      .updateEntity(false)
      .execute();
  }

  /** Grants what waited for the verified address, with the verification as proof (in its transaction). */
  async grantOnVerification(ctx: RequestContext, event: DomainEventMap["users.emailVerified"]): Promise<number> {
    const { userId } = event;
    const pending = await ctx.manager.findBy(PendingConsentEntity, { userId });
    if (pending.length === 0) return 0;
    await ctx.manager.delete(PendingConsentEntity, { userId });
    const before = new Set((await this.currentEvents(ctx, userId)).map((p) => p.eventId));
    const email = normaliseEmail(event.email);
    const person = { kind: ConsentActorKind.PERSON };
    const grants = (rows: PendingConsentEntity[]) =>
      rows.map(({ topic, channel }) => ({ topic, channel, granted: true }));
    // The soft opt-in (what is left of it: the person may have withdrawn some meanwhile) is not an
    // explicit action, so a suppressed address gets none of it, as ConsentService.recordRegistration.
    const soft = pending.filter((p) => !p.ticked);
    if (soft.length > 0 && !(await this.suppressions.isSuppressed(ctx, Channel.EMAIL, email))) {
      await this.consent.record(ctx, userId, grants(soft), ConsentMethod.SOFT_OPT_IN, person);
    }
    const ticked = pending.filter((p) => p.ticked);
    const fromForm = ticked.filter((p) => p.method === null);
    const fromCentre = ticked.filter((p) => p.method === ConsentMethod.PREFERENCE_CENTRE);
    await this.consent.record(ctx, userId, grants(fromForm), ConsentMethod.REGISTRATION_FORM, person);
    await this.consent.record(ctx, userId, grants(fromCentre), ConsentMethod.PREFERENCE_CENTRE, person);
    // Ticking an email topic is the owner's explicit choice, now proved: it lifts the address's suppression.
    if (ticked.some((p) => p.channel === Channel.EMAIL)) await this.suppressions.lift(ctx, Channel.EMAIL, email);
    const chosenAt = new Map(pending.map((p) => [`${p.topic}:${p.channel}`, p.chosenAt]));
    const proofs = (await this.currentEvents(ctx, userId))
      .filter((p) => !before.has(p.eventId))
      .map((p) => ({ eventId: p.eventId, proof: event.proof, chosenAt: chosenAt.get(`${p.topic}:${p.channel}`)! }));
    if (proofs.length > 0) {
      await ctx.manager
        .createQueryBuilder()
        .insert()
        .into(ConsentProofEntity)
        .values(proofs as QueryDeepPartialEntity<ConsentProofEntity>[])
        .updateEntity(false)
        .execute();
    }
    return proofs.length;
  }

  /** Lets the person's own opt-outs of `previousEmail` follow them to `email` (in the change's transaction). */
  async followEmailChange(ctx: RequestContext, event: DomainEventMap["users.emailChanged"]): Promise<void> {
    const previous = normaliseEmail(event.previousEmail);
    const entry = await ctx.manager.findOneBy(SuppressionEntity, {
      channel: Channel.EMAIL,
      identifierHash: this.suppressions.hash(Channel.EMAIL, previous),
    });
    if (!entry || entry.liftedAt || !PERSONAL_SUPPRESSION_REASONS.has(entry.reason)) return;
    await this.suppressions.suppress(ctx, {
      channel: Channel.EMAIL,
      identifier: normaliseEmail(event.email),
      reason: entry.reason,
      userId: event.userId,
    });
  }

  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>> {
    const rows = await ctx.manager.find(PendingConsentEntity, {
      where: { userId: subject.userId },
      order: { topic: "ASC", channel: "ASC" },
    });
    const current = await this.currentEvents(ctx, subject.userId);
    const proofs = current.length
      ? await ctx.manager.findBy(ConsentProofEntity, { eventId: In(current.map((p) => p.eventId)) })
      : [];
    const byEvent = new Map(current.map((p) => [p.eventId, p]));
    return {
      // Chosen at registration, waiting for the address to be verified; nothing is sent meanwhile.
      waitingForVerification: rows.map((r) => ({
        topic: r.topic,
        channel: r.channel,
        // Where it was chosen: the registration form (ticked, or its soft opt-in) or the preference centre.
        chosenIn: r.method ?? ConsentMethod.REGISTRATION_FORM,
        ticked: r.ticked,
        policyVersion: r.policyVersion,
        chosenAt: r.chosenAt.toISOString(),
      })),
      // The current grants that waited for a verification, and the link that proved the address.
      verifiedGrants: proofs.map((p) => ({
        topic: byEvent.get(p.eventId)!.topic,
        channel: byEvent.get(p.eventId)!.channel,
        chosenAt: p.chosenAt.toISOString(),
        proof: p.proof,
      })),
    };
  }

  async erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    await ctx.manager.delete(PendingConsentEntity, { userId: subject.userId });
  }

  private currentEvents(ctx: RequestContext, userId: string): Promise<ConsentPreferenceEntity[]> {
    return ctx.manager.find(ConsentPreferenceEntity, {
      select: { eventId: true, topic: true, channel: true },
      where: { userId },
    });
  }
}
