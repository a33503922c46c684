import { Role } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { ConsentServices } from "../consent.module";
import type { PolicyVersionEntity } from "./policy-version.entity";
import { PolicyVersionObject } from "./policy-version.object";
import { PublishPolicyVersionInput } from "./policy.input";

/** The privacy policy: everyone reads it; admins publish new versions. */
@Resolver(() => PolicyVersionObject)
export class PolicyResolver {
  constructor(private readonly services: ConsentServices) {}

  @Query(() => PolicyVersionObject, { description: "The privacy policy in force. Public." })
  privacyPolicy(@Ctx() { ctx }: GraphQLContext): Promise<PolicyVersionEntity> {
    return this.services.policy.current(ctx);
  }

  @Query(() => [PolicyVersionObject], { description: "Every version of the privacy policy, newest first. Public." })
  privacyPolicyVersions(@Ctx() { ctx }: GraphQLContext): Promise<PolicyVersionEntity[]> {
    return this.services.policy.list(ctx);
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => PolicyVersionObject, {
    description: "Publishes the next version, dated today; consent recorded from now on points at it. Admins.",
  })
  publishPolicyVersion(
    @Arg("input", () => PublishPolicyVersionInput) input: PublishPolicyVersionInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PolicyVersionEntity> {
    return this.services.policy.publish(ctx, input);
  }
}
