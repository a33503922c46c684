import { FieldChecks, isDuplicateKeyError, type RequestContext } from "@honour/platform";
import { ConsentErrorCode, ConsentException } from "../consent.exception";
import { POLICY_LIMITS, PolicyVersionEntity } from "./policy-version.entity";
import { PRIVACY_POLICY_V1_BODY } from "./privacy-policy-v1";

/** Version 1: the policy as published on 12 January 2006. */
export const POLICY_V1 = Object.freeze({
  version: 1,
  lastUpdated: "2006-01-12",
  summaryOfChanges: "The privacy policy as first published.",
  body: PRIVACY_POLICY_V1_BODY,
  publishedAt: new Date("2006-01-12T00:00:00.000Z"),
});

/** What staff give to publish a new version; the number and date come from the server. */
export interface PolicyDraft {
  summaryOfChanges: string;
  body: string;
}

/**
 * The privacy policy's versions. Version 1 is seeded on first use, so a new database (migrated
 * MySQL or the embedded SQLite file) always has a policy to show and to point consent at.
 */
export class PolicyService {
  /** The version in force: the highest published. */
  async current(ctx: RequestContext): Promise<PolicyVersionEntity> {
    const latest = await ctx.manager.find(PolicyVersionEntity, { order: { version: "DESC" }, take: 1 });
    return latest[0] ?? this.seed(ctx);
  }

  /** The version number consent recorded now points at. */
  async currentVersion(ctx: RequestContext): Promise<number> {
    const { max } = (await ctx.manager
      .createQueryBuilder(PolicyVersionEntity, "p")
      .select("MAX(p.version)", "max")
      .getRawOne<{ max: number | string | null }>()) ?? { max: null };
    return max === null ? (await this.seed(ctx)).version : Number(max);
  }

  /** Every version, newest first. */
  async list(ctx: RequestContext): Promise<PolicyVersionEntity[]> {
    const versions = await ctx.manager.find(PolicyVersionEntity, { order: { version: "DESC" } });
    return versions.length > 0 ? versions : [await this.seed(ctx)];
  }

  /**
   * Publishes the next version, dated today (UTC): from now on consent points at it; older
   * records keep theirs. `BAD_USER_INPUT` for an empty summary or body, `CONFLICT` when another
   * version was published at the same moment.
   */
  async publish(ctx: RequestContext, draft: PolicyDraft): Promise<PolicyVersionEntity> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.publish(tx, draft));
    const checks = new FieldChecks();
    const summaryOfChanges = (draft.summaryOfChanges ?? "").trim();
    const body = (draft.body ?? "").trim();
    if (summaryOfChanges === "") checks.fail("input.summaryOfChanges", "must not be empty");
    else if (summaryOfChanges.length > POLICY_LIMITS.summaryOfChanges) {
      checks.fail("input.summaryOfChanges", `must be at most ${POLICY_LIMITS.summaryOfChanges} characters`);
    }
    if (body === "") checks.fail("input.body", "must not be empty");
    else if (Buffer.byteLength(body, "utf8") > POLICY_LIMITS.bodyBytes) {
      checks.fail("input.body", `must be at most ${POLICY_LIMITS.bodyBytes} bytes`);
    }
    checks.throwIfAny();

    const now = ctx.clock.now();
    const version: PolicyVersionEntity = Object.assign(new PolicyVersionEntity(), {
      version: (await this.currentVersion(ctx)) + 1,
      lastUpdated: now.toISOString().slice(0, 10),
      summaryOfChanges,
      body,
      publishedAt: now,
    });
    try {
      await ctx.manager.insert(PolicyVersionEntity, version);
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new ConsentException(ConsentErrorCode.POLICY_VERSION_TAKEN, "Another version was just published.");
      }
      throw error;
    }
    return version;
  }

  /** Inserts version 1 unless another caller just did; returns it either way. */
  private async seed(ctx: RequestContext): Promise<PolicyVersionEntity> {
    const v1 = Object.assign(new PolicyVersionEntity(), POLICY_V1);
    try {
      await ctx.manager.insert(PolicyVersionEntity, v1);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    return v1;
  }
}
