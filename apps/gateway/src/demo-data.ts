import { randomBytes } from "node:crypto";
import type { AppServices } from "@honour/composition";
import { RequestContext, Role, Topic, type Clock } from "@honour/platform";

/** What a new user can try everything with, besides the users' demo accounts and articles. */
export interface DemoExtras {
  /** The demo partner's API key, printed once at start-up (`Authorization: Bearer …`). */
  partnerKey: string;
  partnerName: string;
  products: string[];
  campaignSubject: string;
  pageViews: number;
}

/** A few products of each kind. */
export const DEMO_PRODUCTS = [
  {
    sku: "HONOUR-CRM-1Y",
    name: "Honour CRM, one year",
    priceMinor: 12_500,
    kind: "LICENCE",
    description: "A year's licence for one user.",
  },
  {
    sku: "HONOUR-CRM-MONTHLY",
    name: "Honour CRM, monthly",
    priceMinor: 1_500,
    kind: "SUBSCRIPTION",
    description: "Per user, per month.",
  },
  {
    sku: "ONBOARDING-DAY",
    name: "Onboarding day",
    priceMinor: 75_000,
    kind: "SERVICE",
    description: "A day with our consultants.",
  },
] as const;

const PATHS = ["/", "/pricing", "/features", "/blog/welcome", "/blog/how-we-use-your-data", "/contact"];
const REFERRERS = [null, null, "google.co.uk", "duckduckgo.com", "news.ycombinator.com", "linkedin.com"];
const BROWSERS = ["Chrome", "Firefox", "Safari", "Microsoft Edge", "Samsung Internet"];
const UTM = [null, null, null, "newsletter", "linkedin"];

/** A small deterministic generator, so two starts seed the same shape. */
function* numbers(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    yield x / 2_147_483_648;
  }
}

/**
 * Adds the demo products, a partner with an API key, a campaign draft written by the demo
 * marketing account, and 30 days of page views rolled up for the statistics, on a database the
 * users' demo data has just been added to. Each day is rolled up as of that day, as the worker
 * would have; the raw views older than the retention are then purged by the worker as usual.
 */
export async function seedDemoExtras(
  system: RequestContext,
  services: AppServices,
  marketingUserId: string | null,
  clock: Clock,
): Promise<DemoExtras> {
  const products: string[] = [];
  for (const product of DEMO_PRODUCTS) {
    await services.orders.catalogue.create(system, { ...product, kind: product.kind as never });
    products.push(product.sku);
  }
  const partner = await services.orders.partners.create(system, {
    name: "Demo Reseller Ltd",
    contactEmail: "partner@demo.example.com",
  });
  const key = await services.orders.partners.issueApiKey(system, partner.id);

  const campaignSubject = "Our spring newsletter";
  if (marketingUserId) {
    const marketing = system.withActor({
      kind: "user",
      userId: marketingUserId,
      role: Role.MARKETING,
      sessionId: "demo",
    });
    await services.consent.campaigns.create(marketing, {
      topic: Topic.NEWSLETTER,
      subject: campaignSubject,
      bodyText: "Hello,\n\nHere is what is new at Honour this spring.\n\nThe Honour team",
      bodyHtml: "<h1>Spring at Honour</h1><p>Here is what is new at Honour this spring.</p><p>The Honour team</p>",
    });
  }

  const { zone, rollups } = services.stats;
  const random = numbers(20_260_101);
  const next = () => random.next().value as number;
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const today = zone.dayOf(clock.now().getTime());
  let pageViews = 0;
  for (let back = 30; back >= 1; back--) {
    const start = zone.startOfDay(today) - back * 86_400_000;
    const day = zone.dayOf(start + 3_600_000 * 12);
    const dayStart = zone.startOfDay(day);
    const weekend = [0, 6].includes(new Date(dayStart + 43_200_000).getUTCDay());
    const visitors = Array.from({ length: Math.round((weekend ? 40 : 90) + next() * 40) }, () =>
      randomBytes(16).toString("hex"),
    );
    const rows = [];
    for (const visitorId of visitors) {
      const views = 1 + Math.floor(next() * 4);
      const hour = 7 + Math.floor(next() * 15);
      const referrerDomain = pick(REFERRERS);
      const browser = pick(BROWSERS);
      const utmSource = referrerDomain ? null : pick(UTM);
      for (let v = 0; v < views; v++) {
        rows.push({
          eventId: null,
          day,
          hour: new Date(dayStart + Math.min(23, hour + Math.floor(v / 2)) * 3_600_000),
          visitorId,
          path: pick(PATHS),
          referrerDomain: v === 0 ? referrerDomain : null,
          browser,
          utmSource: v === 0 ? utmSource : null,
          utmMedium: v === 0 && utmSource ? "email" : null,
          utmCampaign: null,
        });
      }
    }
    for (let i = 0; i < rows.length; i += 500) {
      await system.manager
        .createQueryBuilder()
        .insert()
        .into("stats_page_view")
        .values(rows.slice(i, i + 500))
        .execute();
    }
    pageViews += rows.length;
    // Rolled up as of the end of that day, as the worker's hourly rollup would have.
    const asOf = new RequestContext(system.dataSource, system.actor, {
      now: () => new Date(dayStart + 23 * 3_600_000 + 1_800_000),
    });
    await rollups.rollUp(asOf, [day]);
  }
  return { partnerKey: key.secret, partnerName: partner.name, products, campaignSubject, pageViews };
}
