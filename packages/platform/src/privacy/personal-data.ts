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
 * table that holds personal data (ARCHITECTURE.md). One shape in every domain: a class
 * `<Section>PersonalData implements PersonalDataContributor` in `<section>-personal-data.service.ts`,
 * built and registered in one line of the domain's services factory
 * (`const personalData = platform.personalData.register(new OrdersPersonalData(…))`) and returned
 * as the services' `personalData`. Both halves are required: the compiler refuses a class without
 * one, and {@link PersonalDataRegistry.register} refuses an object without one.
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
  /**
   * Optional: the row locks this contributor's erasure needs before it reads (with `lockRows`),
   * e.g. the account row that other domains' writes about the subject hold while they run, so
   * those finish and are seen. The registry calls it inside the closing transaction right before
   * this contributor's {@link erase}; call it yourself before `erase` when erasing one domain alone.
   */
  lock?(ctx: RequestContext, subject: PersonalDataSubject): Promise<void>;
  /**
   * Optional: what this domain holds about an email address that has no account (a guest's
   * orders), for answering a guest's access request; null or an empty object when nothing.
   */
  exportGuest?(ctx: RequestContext, email: string): Promise<Record<string, unknown> | null>;
}

/**
 * The contributors of every domain the app composed, in registration (dependency) order. The
 * order is the contract: exports list sections in it, erasure runs in reverse (see
 * {@link eraseAll}), so a domain registers after the domains it builds on: the platform's `mail`
 * first (in `createPlatform`), then `account`, `orders`, `consent`, `security`, `privacy` as the
 * composition builds them.
 */
export class PersonalDataRegistry {
  private readonly contributors: PersonalDataContributor[] = [];

  /**
   * Adds `contributor` after those already registered and returns it (so a services factory
   * registers and keeps it in one line). Refuses one without a name, without `export` or `erase`
   * (or with a `lock` that is not a function), and a second one with a name already taken.
   * Registering the very same object again changes nothing: a stateless contributor may be shared
   * by services built again on one platform.
   */
  register<C extends PersonalDataContributor>(contributor: C): C {
    const problems = contributorProblems(contributor);
    if (problems.length > 0) {
      throw new Error(`personal data contributor ${describe(contributor)} is incomplete: ${problems.join(", ")}`);
    }
    const registered = this.contributors.find((c) => c.name === contributor.name);
    if (registered === contributor) return contributor;
    if (registered) {
      throw new Error(`a personal data contributor named "${contributor.name}" is already registered`);
    }
    this.contributors.push(contributor);
    return contributor;
  }

  /** Whether this very contributor is registered. */
  has(contributor: PersonalDataContributor): boolean {
    return this.contributors.includes(contributor);
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
   * users, which the others build on, goes after them): each one's `lock`, if it has one, then
   * its `erase`. Call it inside a transaction.
   */
  /** Every contributor's data about an address without an account; only the sections that hold something. */
  async exportGuestAll(ctx: RequestContext, email: string): Promise<Record<string, Record<string, unknown>>> {
    const document: Record<string, Record<string, unknown>> = {};
    for (const contributor of this.contributors) {
      const section = contributor.exportGuest ? await contributor.exportGuest(ctx, email) : null;
      if (section && Object.keys(section).length > 0) document[contributor.name] = section;
    }
    return document;
  }

  async eraseAll(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    for (const contributor of [...this.contributors].reverse()) {
      if (contributor.lock) await contributor.lock(ctx, subject);
      await contributor.erase(ctx, subject);
    }
  }
}

/** What keeps `contributor` from being one (empty when nothing does). Checked at run time too:
 * an object literal cast to the interface, or JavaScript, gets past the compiler. */
function contributorProblems(contributor: PersonalDataContributor): string[] {
  const c = contributor as Partial<Record<keyof PersonalDataContributor, unknown>> | null | undefined;
  if (typeof c !== "object" || c === null) return ["not an object"];
  const problems: string[] = [];
  if (typeof c.name !== "string" || c.name.trim() === "") problems.push("no name");
  if (typeof c.export !== "function") problems.push("no export");
  if (typeof c.erase !== "function") problems.push("no erase");
  if (c.lock !== undefined && typeof c.lock !== "function") problems.push("lock is not a function");
  if (c.exportGuest !== undefined && typeof c.exportGuest !== "function")
    problems.push("exportGuest is not a function");
  return problems;
}

function describe(contributor: PersonalDataContributor): string {
  const name = (contributor as { name?: unknown } | null | undefined)?.name;
  return typeof name === "string" && name !== "" ? `"${name}"` : "(unnamed)";
}
