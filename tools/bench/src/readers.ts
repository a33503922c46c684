import { ConsentPreferenceEntity } from "@honour/consent";
import { Channel, newId, Role, Topic } from "@honour/platform";
import { UserEntity } from "@honour/users";
import type { DataSource } from "typeorm";

/**
 * Newsletter readers straight into the tables, 500 to a statement: the bulk a campaign is sent to,
 * without measuring registration. Addresses are `reader<n>@<domain>`.
 */
export async function insertNewsletterReaders(dataSource: DataSource, count: number, domain: string): Promise<void> {
  const now = new Date();
  for (let i = 0; i < count; i += 500) {
    const chunk = Array.from({ length: Math.min(500, count - i) }, (_, j) => ({
      id: newId(now.getTime()),
      email: `reader${i + j}@${domain}`,
      passwordHash: "scrypt$1$1$1$x$x",
      name: `Reader ${i + j}`,
      role: Role.CUSTOMER,
      keepBillingDetails: true,
      keepOrderHistory: true,
      createdAt: now,
      updatedAt: now,
    }));
    await dataSource.createQueryBuilder().insert().into(UserEntity).values(chunk).updateEntity(false).execute();
    await dataSource
      .createQueryBuilder()
      .insert()
      .into(ConsentPreferenceEntity)
      .values(
        chunk.map((u) => ({
          userId: u.id,
          topic: Topic.NEWSLETTER,
          channel: Channel.EMAIL,
          granted: true,
          method: "REGISTRATION_FORM",
          policyVersion: 1,
          eventId: newId(),
          updatedAt: now,
        })) as never,
      )
      .updateEntity(false)
      .execute();
  }
}
