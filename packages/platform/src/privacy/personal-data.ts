import type { RequestContext } from "../context/request-context";

/**
 * The person a data export or an erasure is about, read before anything is erased so that every
 * contributor sees the same plain identifiers (consent needs them to add the suppression entries).
 */
export interface PersonalDataSubject {
  userId: string;
  email: string;
  /** The profile's phone number, when one was given. */
  phone: string | null;
}

/**
 * What each domain package registers so that a data export or an account closure reaches every
 * table that holds personal data (ARCHITECTURE.md). A new domain that keeps data about people
 * registers one in its services factory; nothing else has to know it exists.
 */
export interface PersonalDataContributor {
  /** The section of the export document this contributor fills, e.g. `"orders"`. Unique. */
  readonly name: string;
  /**
   * Everything this domain holds about the subject, as plain JSON (dates as ISO strings), and
   * nothing about anyone else. Runs in the export job's context with `ctx.manager`.
   */
  export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>>;
  /**
   * Removes or replaces the subject's personal data, keeping only what a documented reason needs
   * (invoices, proof of consent under a keyed hash). Runs inside the closing transaction: a
   * failure rolls the whole closure back, so nothing is left half-erased.
   */
  erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void>;
}

/** The contributors of every domain the app composed, in registration (dependency) order. */
export class PersonalDataRegistry {
  private readonly contributors: PersonalDataContributor[] = [];

  register(contributor: PersonalDataContributor): void {
    if (this.contributors.some((c) => c.name === contributor.name)) {
      throw new Error(`a personal data contributor named "${contributor.name}" is already registered`);
    }
    this.contributors.push(contributor);
  }

  /** The registered section names, in registration order. */
  get names(): string[] {
    return this.contributors.map((c) => c.name);
  }

  /** One document with a section per contributor, in registration order. */
  async exportAll(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, Record<string, unknown>>> {
    const document: Record<string, Record<string, unknown>> = {};
    for (const contributor of this.contributors) document[contributor.name] = await contributor.export(ctx, subject);
    return document;
  }

  /**
   * Erases the subject in every contributor, dependants first (the reverse of registration, so
   * users, which the others build on, goes last). Call it inside a transaction.
   */
  async eraseAll(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    for (const contributor of [...this.contributors].reverse()) await contributor.erase(ctx, subject);
  }
}
