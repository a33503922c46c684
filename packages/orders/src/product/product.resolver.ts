import { Role, type Connection } from "@honour/platform";
import { ConnectionArgs, type GraphQLContext } from "@honour/platform/graphql";
import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import { UpdateProductArgs } from "./product.args";
import type { ProductEntity } from "./product.entity";
import { CreateProductInput } from "./product.input";
import { ProductConnection, ProductObject } from "./product.object";

/** The catalogue: public to read, administrators to change. */
@Resolver(() => ProductObject)
export class ProductResolver {
  constructor(private readonly services: OrdersServices) {}

  @Query(() => ProductConnection, {
    description: "Products on sale, newest first. Public. SUPPORT and ADMIN also see inactive ones.",
  })
  products(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<ProductEntity>> {
    return this.services.catalogue.list(ctx, args);
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => ProductObject, { description: "Adds a product. ADMIN. CONFLICT when the SKU is in use." })
  createProduct(
    @Arg("input", () => CreateProductInput) input: CreateProductInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<ProductEntity> {
    return this.services.catalogue.create(ctx, input);
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => ProductObject, {
    description: "Changes a product; orders already placed keep their copy. ADMIN. CONFLICT when the SKU is in use.",
  })
  updateProduct(
    @Args(() => UpdateProductArgs) { id, input }: UpdateProductArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<ProductEntity> {
    return this.services.catalogue.update(ctx, id, input);
  }
}
