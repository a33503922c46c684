import {
  isDuplicateKeyError,
  newId,
  NotFoundException,
  paginate,
  Role,
  type Actor,
  type Connection,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import { In } from "typeorm";
import { FieldChecks } from "../field-checks";
import { SkuTakenException } from "../orders.exception";
import { Currency, PRODUCT_LIMITS, ProductEntity, ProductKind, SKU_PATTERN } from "./product.entity";

/** A new catalogue entry. */
export interface ProductDraft {
  sku: string;
  name: string;
  description?: string | null;
  priceMinor: number;
  currency?: Currency | null;
  kind: ProductKind;
  /** Default true. */
  active?: boolean | null;
}

/** Changes to a product; a field left out (or null) stays as it is. */
export interface ProductChanges {
  sku?: string | null;
  name?: string | null;
  description?: string | null;
  priceMinor?: number | null;
  currency?: Currency | null;
  kind?: ProductKind | null;
  active?: boolean | null;
}

/** SKUs are compared and stored upper-case and trimmed. */
export function normaliseSku(sku: string): string {
  return sku.trim().toUpperCase();
}

/** Staff who see inactive products too. */
function seesInactive(actor: Actor): boolean {
  return actor.kind === "user" && (actor.role === Role.ADMIN || actor.role === Role.SUPPORT);
}

function checkDraft(input: ProductChanges, required: boolean): Partial<ProductEntity> {
  const checks = new FieldChecks();
  const out: Partial<ProductEntity> = {};
  if (required || input.sku != null) {
    const sku = normaliseSku(checks.required("input.sku", input.sku, PRODUCT_LIMITS.sku));
    if (sku !== "" && !checks.hasFailed("input.sku") && !SKU_PATTERN.test(sku)) {
      checks.fail("input.sku", "must be letters and digits in groups joined by single hyphens");
    }
    out.sku = sku;
  }
  if (required || input.name != null) out.name = checks.required("input.name", input.name, PRODUCT_LIMITS.name);
  if (required || input.description != null) {
    out.description = checks.optional("input.description", input.description, PRODUCT_LIMITS.description) ?? "";
  }
  if (required || input.priceMinor != null) {
    out.priceMinor = checks.integer("input.priceMinor", input.priceMinor, 0, PRODUCT_LIMITS.priceMinor);
  }
  if (input.currency != null || required) {
    const currency = input.currency ?? Currency.GBP;
    if (!Object.values(Currency).includes(currency)) checks.fail("input.currency", "must be GBP");
    out.currency = currency;
  }
  if (required || input.kind != null) {
    if (!input.kind || !Object.values(ProductKind).includes(input.kind)) {
      checks.fail("input.kind", "must be LICENCE, SUBSCRIPTION or SERVICE");
    }
    out.kind = input.kind as ProductKind;
  }
  if (input.active != null) out.active = input.active;
  checks.throwIfAny();
  return out;
}

/** The catalogue. Prices are in minor units; orders take their prices from here and nowhere else. */
export class ProductService {
  /** A page of products, newest first: active ones, and inactive ones too for SUPPORT and ADMIN. */
  async list(ctx: RequestContext, args: PageArgs): Promise<Connection<ProductEntity>> {
    const query = ctx.manager.createQueryBuilder(ProductEntity, "p");
    if (!seesInactive(ctx.actor)) query.where("p.active = :active", { active: true });
    return paginate(query, args);
  }

  async findById(ctx: RequestContext, id: string): Promise<ProductEntity | null> {
    return ctx.manager.findOneBy(ProductEntity, { id });
  }

  /** Products by SKU (normalised), whatever their state; unknown SKUs are left out. */
  async findBySkus(ctx: RequestContext, skus: readonly string[]): Promise<ProductEntity[]> {
    const wanted = [...new Set(skus.map(normaliseSku))];
    return wanted.length === 0 ? [] : ctx.manager.findBy(ProductEntity, { sku: In(wanted) });
  }

  /** Adds a product. `BAD_USER_INPUT` for invalid fields, `CONFLICT` for a SKU in use. */
  async create(outer: RequestContext, draft: ProductDraft): Promise<ProductEntity> {
    return outer.transaction(async (ctx) => {
      const fields = checkDraft(draft, true);
      if (await ctx.manager.existsBy(ProductEntity, { sku: fields.sku! })) throw new SkuTakenException();
      const now = ctx.clock.now();
      const product: ProductEntity = Object.assign(new ProductEntity(), {
        id: newId(now.getTime()),
        ...fields,
        active: draft.active ?? true,
        createdAt: now,
        updatedAt: now,
      });
      await this.write(() =>
        ctx.manager.createQueryBuilder().insert().into(ProductEntity).values(product).updateEntity(false).execute(),
      );
      return product;
    });
  }

  /** Changes a product. `NOT_FOUND` for an unknown id, `CONFLICT` for a SKU in use. */
  async update(outer: RequestContext, id: string, changes: ProductChanges): Promise<ProductEntity> {
    return outer.transaction(async (ctx) => {
      const fields = checkDraft(changes, false);
      const product = await this.findById(ctx, id);
      if (!product) throw new NotFoundException("Product");
      if (
        fields.sku !== undefined &&
        fields.sku !== product.sku &&
        (await ctx.manager.existsBy(ProductEntity, { sku: fields.sku }))
      ) {
        throw new SkuTakenException();
      }
      const set = { ...fields, updatedAt: ctx.clock.now() };
      await this.write(() => ctx.manager.update(ProductEntity, { id }, set));
      return Object.assign(product, set);
    });
  }

  private async write(statement: () => Promise<unknown>): Promise<void> {
    try {
      await statement();
    } catch (error) {
      // Another product took the SKU between the check and the write.
      if (isDuplicateKeyError(error)) throw new SkuTakenException();
      throw error;
    }
  }
}
