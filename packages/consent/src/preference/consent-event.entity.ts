import type { Channel, Topic } from "@honour/platform";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** What a ledger entry did. */
export enum ConsentAction {
  GRANTED = "GRANTED",
  WITHDRAWN = "WITHDRAWN",
}

/** How the grant or withdrawal was given. */
export enum ConsentMethod {
  /** Ticked when registering. */
  REGISTRATION_FORM = "REGISTRATION_FORM",
  /** The signed-in preference centre: setPreferences, optOutOfAll. */
  PREFERENCE_CENTRE = "PREFERENCE_CENTRE",
  /** RFC 8058 one-click POST from a mail client (List-Unsubscribe-Post). */
  ONE_CLICK_UNSUBSCRIBE = "ONE_CLICK_UNSUBSCRIBE",
  /** The unsubscribe link in a message's footer, confirmed on the site. */
  EMAIL_LINK = "EMAIL_LINK",
  /** Staff acting on the person's request (by telephone, fax or letter). */
  STAFF_ON_REQUEST = "STAFF_ON_REQUEST",
  /** Everything granted is withdrawn when the account closes. */
  ACCOUNT_CLOSED = "ACCOUNT_CLOSED",
  /**
   * A privacy request acted on by staff (`ConsentService.withdrawAll`): an objection to direct
   * marketing withdraws everything granted.
   */
  PRIVACY_REQUEST = "PRIVACY_REQUEST",
  /**
   * The policy's soft opt-in: registered on a form that offered no choice, so the company's own
   * topics by email until the person says no. (Entries before this value existed say REGISTRATION_FORM.)
   */
  SOFT_OPT_IN = "SOFT_OPT_IN",
}

/** Who recorded the entry. */
export enum ConsentActorKind {
  /** The person themselves, signed in (or registering). */
  PERSON = "PERSON",
  /** Whoever held the person's unsubscribe link (bound to them and one topic). */
  UNSUBSCRIBE_LINK = "UNSUBSCRIBE_LINK",
  /** Whoever held the preference link of a marketing message (bound to the person, preferences only). */
  PREFERENCE_LINK = "PREFERENCE_LINK",
  STAFF = "STAFF",
  SYSTEM = "SYSTEM",
}

/**
 * The consent ledger: one row per grant or withdrawal, appended and never updated or deleted
 * (there is no code path that does either). The subject is a keyed hash of the account id, so
 * the record of what a person agreed to outlives the erasure of their account without naming
 * them: there is no account id, address or name column, and the account row that the id names is
 * itself anonymised when the account closes, so nothing plain leads back to the person. Erasure
 * appends the ACCOUNT_CLOSED withdrawals and deletes nothing here.
 * {@link ConsentPreferenceEntity} is derived from it in the same transaction.
 */
@Entity("consent_event")
@Index("IDX_consent_event_subject", ["subjectHash", "id"])
export class ConsentEventEntity {
  /** Time-ordered UUIDv7. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** HMAC(server secret, account id), hex. */
  @Column({ type: "char", length: 64 })
  subjectHash!: string;

  @Column({ type: "varchar", length: 32 })
  topic!: Topic;

  @Column({ type: "varchar", length: 16 })
  channel!: Channel;

  @Column({ type: "varchar", length: 16 })
  action!: ConsentAction;

  @Column({ type: "varchar", length: 32 })
  method!: ConsentMethod;

  @Column({ type: "varchar", length: 16 })
  actorKind!: ConsentActorKind;

  /** STAFF: HMAC(server secret, staff account id); SYSTEM: the process's name; else null. */
  @Column({ type: "varchar", length: 100, nullable: true })
  actorRef!: string | null;

  /** The privacy policy version in force when this was recorded. */
  @Column({ type: "int" })
  policyVersion!: number;

  @Column({ type: "datetime", precision: 3 })
  occurredAt!: Date;
}
