import { ArrayNotEmpty, ArrayUnique, IsEnum, IsOptional, Max, Min } from "class-validator";
import { GraphQLDate } from "graphql-scalars";
import { Field, InputType, Int } from "type-graphql";
import "./stats.object"; // registers the enums before they are used here
import { STATS_MAX_LIMIT, StatsDimension, StatsMetric } from "./stats-query.service";

@InputType({ description: "A range of days in the site's time zone, both included." })
export class StatsQueryInput {
  @Field(() => GraphQLDate)
  from!: Date;

  @Field(() => GraphQLDate, { description: "Included." })
  to!: Date;

  @Field(() => [StatsMetric])
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsEnum(StatsMetric, { each: true })
  metrics!: StatsMetric[];

  @Field(() => StatsDimension, { nullable: true, description: "Default NONE." })
  @IsOptional()
  @IsEnum(StatsDimension)
  dimension?: StatsDimension | null;

  @Field(() => Int, {
    nullable: true,
    description: `Most rows to return, 1–${STATS_MAX_LIMIT}; rankings default to 100, DATE and HOUR to the whole range.`,
  })
  @IsOptional()
  @Min(1)
  @Max(STATS_MAX_LIMIT)
  limit?: number | null;
}
