import { ErrorCode, Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { Currency, ProductKind } from "../src/product/product.entity";
import { failure, openOrdersTestBed, type OrdersTestBed } from "./orders-test-bed";

describe.each(testDatabaseKinds())("the catalogue on %s", (kind) => {
  let bed: OrdersTestBed;
  beforeAll(async () => {
    bed = await openOrdersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  it("adds a product with its SKU upper-cased, active and in GBP by default", async () => {
    const product = await bed.services.catalogue.create(bed.ctx(), {
      sku: " hon-pro-1 ",
      name: " Honour Pro ",
      priceMinor: 4999,
      kind: ProductKind.LICENCE,
    });

    expect(product).toMatchObject({
      sku: "HON-PRO-1",
      name: "Honour Pro",
      description: "",
      priceMinor: 4999,
      currency: Currency.GBP,
      kind: ProductKind.LICENCE,
      active: true,
    });
    expect(await bed.services.catalogue.findById(bed.ctx(), product.id)).toEqual(product);
  });

  it("refuses a SKU in use, in whatever case, with CONFLICT", async () => {
    await bed.product({ sku: "HON-PRO" });
    const error = await failure(bed.product({ sku: "hon-pro" }));
    expect(error.code).toBe(ErrorCode.CONFLICT);
    expect(error.fields?.map((f) => f.field)).toEqual(["input.sku"]);
  });

  it("refuses another product's SKU on update too", async () => {
    await bed.product({ sku: "A-1" });
    const b = await bed.product({ sku: "B-1" });
    expect((await failure(bed.services.catalogue.update(bed.ctx(), b.id, { sku: "a-1" }))).code).toBe(
      ErrorCode.CONFLICT,
    );
    expect((await bed.services.catalogue.update(bed.ctx(), b.id, { sku: "b-1" })).sku).toBe("B-1");
  });

  it("names every invalid field of a product", async () => {
    const error = await failure(
      bed.services.catalogue.create(bed.ctx(), {
        sku: "not a sku",
        name: "",
        priceMinor: -1,
        kind: "GADGET" as ProductKind,
        currency: "EUR" as Currency,
      }),
    );
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field)).toEqual([
      "input.sku",
      "input.name",
      "input.priceMinor",
      "input.currency",
      "input.kind",
    ]);
  });

  it("answers NOT_FOUND when updating an unknown product", async () => {
    const error = await failure(bed.services.catalogue.update(bed.ctx(), "0190a000-0000-7000-8000-000000000001", {}));
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
  });

  it("lists active products to everyone, and inactive ones too to SUPPORT and ADMIN", async () => {
    const on = await bed.product();
    bed.clock.advance(1); // ids order by time; newest first
    const off = await bed.product({ active: false });
    const admin = await bed.signUp(Role.ADMIN);
    const customer = await bed.signUp();

    const ids = async (ctx = bed.ctx()) =>
      (await bed.services.catalogue.list(ctx, { first: 10 })).nodes.map((p) => p.id);

    expect(await ids()).toEqual([on.id]);
    expect(await ids(customer.ctx)).toEqual([on.id]);
    expect(await ids(admin.ctx)).toEqual([off.id, on.id]);
  });
});
