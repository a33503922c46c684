import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { StatsDimension, StatsMetric } from "./stats-query.service";

registerEnumType(StatsMetric, { name: "StatsMetric", description: "What to count." });
registerEnumType(StatsDimension, {
  name: "StatsDimension",
  description: "What to break the counts down by; days and hours are in the site's time zone.",
  valuesConfig: {
    NONE: { description: "One row: the whole range." },
    DATE: { description: "One row per day, key YYYY-MM-DD, every day of the range." },
    HOUR: { description: "One row per hour, key like 2026-10-25T01:00+01:00, every hour of the range." },
    PAGE: { description: "Per page path." },
    REFERRER_DOMAIN: { description: "Per referring domain (www. removed); key null for direct visits." },
    BROWSER: { description: "Per browser family." },
    UTM_SOURCE: { description: "Per utm_source; key null for views without one." },
  },
});

@ObjectType("StatsRow", { simpleResolvers: true })
export class StatsRowObject {
  @Field(() => String, {
    nullable: true,
    description: "The day, hour, page, domain, browser or source; null for NONE.",
  })
  key!: string | null;

  @Field(() => Int, {
    nullable: true,
    description: "Sum of each day's unique visitors (visitor ids change daily); null unless VISITORS was asked for.",
  })
  visitors!: number | null;

  @Field(() => Int, { nullable: true, description: "Page views; null unless PAGEVIEWS was asked for." })
  pageviews!: number | null;
}

@ObjectType("StatsResult", { simpleResolvers: true })
export class StatsResultObject {
  @Field(() => [StatsRowObject], {
    description: "By visitors, then page views, descending; DATE and HOUR in time order.",
  })
  rows!: StatsRowObject[];
}
