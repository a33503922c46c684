import { type PersonalDataSubject, type RequestContext } from "@honour/platform";
import type { FindOptionsWhere } from "typeorm";
import { UserEntity } from "./user.entity";

// Small reads and writes of account rows that several accounts services share.

/** A new account's contact details beyond its email: none until the person adds them. */
export const NO_CONTACT_DETAILS = Object.freeze({
  phone: null,
  fax: null,
  addressLine1: null,
  addressLine2: null,
  addressCity: null,
  addressPostcode: null,
  addressCountry: null,
});

/**
 * Methods that check a password record failed attempts with statements that commit on their own.
 * Inside a caller's transaction the exception that reports the failure would roll the record
 * back, and the throttle would never trip: refuse loudly instead.
 */
export function assertOutsideTransaction(ctx: RequestContext, method: string): void {
  if (ctx.inTransaction) {
    throw new Error(`UserService.${method} checks a password and must be called outside a transaction`);
  }
}

/** The entity without its password hash, for returning to callers. */
export function withoutHash(user: UserEntity): UserEntity {
  const { passwordHash: _hash, ...rest } = user;
  return Object.assign(new UserEntity(), rest);
}

export function findUser(ctx: RequestContext, id: string): Promise<UserEntity | null> {
  return ctx.manager.findOneBy(UserEntity, { id });
}

/** One account with its password hash (which the entity leaves out of plain reads). */
export function findWithHash(ctx: RequestContext, where: FindOptionsWhere<UserEntity>): Promise<UserEntity | null> {
  return ctx.manager.createQueryBuilder(UserEntity, "u").addSelect("u.passwordHash").where(where).getOne();
}

/**
 * Inserts an account as built. TypeORM would otherwise re-read the columns that have database
 * defaults after the insert and copy them over raw, turning MySQL's booleans into 0 and 1.
 */
export async function insertUser(ctx: RequestContext, user: UserEntity): Promise<void> {
  await ctx.manager.createQueryBuilder().insert().into(UserEntity).values(user).updateEntity(false).execute();
}

/** The person an account stands for, as every domain's contributor is told. */
export function subjectOf(user: UserEntity): PersonalDataSubject {
  return { userId: user.id, email: user.email, phone: user.phone };
}
