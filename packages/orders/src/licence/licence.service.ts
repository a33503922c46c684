import { randomBytes } from "node:crypto";
import { hmac, newId, type RequestContext } from "@honour/platform";
import { In } from "typeorm";
import type { OrderLineEntity } from "../order/order-line.entity";
import { ProductKind } from "../product/product.entity";
import { LicenceEntity } from "./licence.entity";

/** Crockford's base 32: no I, L, O or U, so a serial read aloud or retyped survives. */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function base32(bytes: Buffer, length: number): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** `XXXXX-XXXXX-XXXXX-XXXXX`: 100 random bits. */
export function newLicenceSerial(): string {
  const chars = base32(randomBytes(13), 20);
  return chars.match(/.{5}/g)!.join("-");
}

/** The control code of a serial: 10 characters of HMAC(server secret, serial), grouped 5-5. */
export function licenceControlCode(secret: string, serial: string): string {
  const chars = base32(Buffer.from(hmac(secret, "licence-control-code", serial), "hex"), 10);
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Rows per INSERT when issuing many licences at once (50 lines of 1000 is the most). */
const INSERT_CHUNK = 500;

/** Licences: issued when an order with LICENCE lines is fulfilled, one per unit. */
export class LicenceService {
  constructor(private readonly secret: string) {}

  /** Issues the licences of an order's LICENCE lines, in `ctx`'s transaction. */
  async issueFor(ctx: RequestContext, orderId: string, lines: readonly OrderLineEntity[]): Promise<LicenceEntity[]> {
    const issuedAt = ctx.clock.now();
    const licences: LicenceEntity[] = [];
    for (const line of lines) {
      if (line.kind !== ProductKind.LICENCE) continue;
      for (let unit = 0; unit < line.quantity; unit++) {
        const serial = newLicenceSerial();
        licences.push(
          Object.assign(new LicenceEntity(), {
            id: newId(issuedAt.getTime()),
            orderId,
            orderLineId: line.id,
            sku: line.sku,
            serial,
            controlCode: licenceControlCode(this.secret, serial),
            issuedAt,
          }),
        );
      }
    }
    for (let i = 0; i < licences.length; i += INSERT_CHUNK) {
      await ctx.manager
        .createQueryBuilder()
        .insert()
        .into(LicenceEntity)
        .values(licences.slice(i, i + INSERT_CHUNK))
        .updateEntity(false)
        .execute();
    }
    return licences;
  }

  /** The licences of these orders, by SKU and serial. */
  async licencesOf(ctx: RequestContext, orderIds: readonly string[]): Promise<LicenceEntity[]> {
    if (orderIds.length === 0) return [];
    return ctx.manager.find(LicenceEntity, {
      where: { orderId: In([...orderIds]) },
      order: { sku: "ASC", serial: "ASC" },
    });
  }
}
