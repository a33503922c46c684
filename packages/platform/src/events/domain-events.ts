import type { CommunicationChoice } from "../communications/communications";
import type { RequestContext } from "../context/request-context";

/**
 * The events one domain publishes for others to react to, declared here so that neither side
 * imports the other (ARCHITECTURE.md: dependencies point one way).
 */
export interface DomainEventMap {
  /**
   * A user changed what the profile may keep. Orders reacts at once: with `keepBillingDetails`
   * off it deletes saved payment methods; with `keepOrderHistory` off it detaches past orders.
   */
  "users.profileSettingsChanged": {
    userId: string;
    keepBillingDetails: boolean;
    keepOrderHistory: boolean;
  };
  /**
   * An account was created, inside the registration transaction. Consent records what the form
   * showed: `communications` lists the topic/channel pairs the person ticked, or is null when the
   * form offered no choice (then the policy's soft opt-in applies).
   */
  "users.registered": {
    userId: string;
    email: string;
    communications: CommunicationChoice[] | null;
  };
  /**
   * An account's address was proved to be its holder's (a verification link, or the confirmation
   * of an email change), inside that transaction. Consent grants what waited for it (the topics
   * chosen at registration), each ledger entry naming `proof`, the verification that proves it.
   */
  "users.emailVerified": {
    userId: string;
    email: string;
    /** What proves the address, e.g. `email-verification:<id>` or `email-change:<id>`. */
    proof: string;
  };
  /**
   * An account's email address changed, inside that transaction. Consent lets the person's own
   * opt-outs of the old address (unsubscribed, removal requests, complaints) follow them.
   */
  "users.emailChanged": {
    userId: string;
    previousEmail: string;
    email: string;
  };
  /** An account was closed, inside the closing transaction. Consent withdraws what it granted. */
  "users.accountClosed": {
    userId: string;
  };
}

export type DomainEventName = keyof DomainEventMap;
export type DomainEventHandler<E extends DomainEventName> = (
  ctx: RequestContext,
  event: DomainEventMap[E],
) => Promise<void>;

/**
 * In-process domain events. Subscribers run in the publisher's context, inside its transaction,
 * so a reaction happens at once and rolls back with the change that caused it. Work that may wait
 * or must survive a crash belongs in a job instead.
 */
export class DomainEvents {
  private readonly handlers = new Map<DomainEventName, DomainEventHandler<DomainEventName>[]>();

  /** Adds a subscriber; returns the function that removes it again. */
  subscribe<E extends DomainEventName>(name: E, handler: DomainEventHandler<E>): () => void {
    const list = this.handlers.get(name) ?? [];
    const entry = handler as DomainEventHandler<DomainEventName>;
    list.push(entry);
    this.handlers.set(name, list);
    return () => {
      const index = list.indexOf(entry);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** Runs every subscriber of `name` in turn; the first failure fails the publisher. */
  async publish<E extends DomainEventName>(ctx: RequestContext, name: E, event: DomainEventMap[E]): Promise<void> {
    for (const handler of this.handlers.get(name) ?? []) await handler(ctx, event);
  }
}
