import { ConsentAction, ConsentActorKind, ConsentMethod } from "@honour/consent";
import { Channel, newId, Role, Topic } from "@honour/platform";
import { printFaultFigures } from "@honour/testing";
import type { DataSource } from "typeorm";

/**
 * What the worker's fault scenarios share: the MariaDB server addressed the way a user writes it,
 * periods short enough for a run of a few minutes yet long enough for two busy cores, bulk
 * inserts for seeding and the one line of figures each scenario prints.
 */

export { useMysqlUrl } from "@honour/testing";

/**
 * A dead worker's job is freed 2 s after its last heartbeat. Heartbeats every 200 ms leave room
 * for a loaded machine: a live worker is never mistaken for a dead one, which would be a double
 * run this suite would count against the product.
 */
export const FAULT_WORKER_ENV = {
  WORKER_POLL_MS: "50",
  WORKER_HEARTBEAT_MS: "200",
  WORKER_STALE_AFTER_MS: "2000",
  WORKER_SHUTDOWN_GRACE_MS: "3000",
  WORKER_BACKOFF_BASE_MS: "50",
  WORKER_SCHEMA_POLL_MS: "100",
} as const;

/** Prints a scenario's one line of figures (`npm run test:faults` output, copied to the README). */
export function printFigures(scenario: string, figures: Record<string, string | number | boolean>): void {
  printFaultFigures("worker", scenario, figures);
}

/** Inserts `rows` into `table`, 500 to a statement. */
export async function insertRows(
  dataSource: DataSource,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
): Promise<void> {
  const CHUNK = 500;
  const list = columns.map((c) => `\`${c}\``).join(", ");
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await dataSource.query(
      `INSERT INTO \`${table}\` (${list}) VALUES ${chunk.map(() => tuple).join(", ")}`,
      chunk.flat(),
    );
  }
}

/**
 * `count` accounts `reader<i>@example.com` that granted the newsletter by email, each grant with
 * its ledger entry: the recipients of the campaign scenarios.
 */
export async function seedNewsletterRecipients(dataSource: DataSource, count: number): Promise<void> {
  const now = new Date();
  const users: unknown[][] = [];
  const events: unknown[][] = [];
  const preferences: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const userId = newId(now.getTime());
    const eventId = newId(now.getTime());
    users.push([userId, `reader${i}@example.com`, "not-a-password-hash", `Reader ${i}`, Role.CUSTOMER, now, now]);
    events.push([
      eventId,
      userId.replace(/-/g, "").padEnd(64, "0"),
      Topic.NEWSLETTER,
      Channel.EMAIL,
      ConsentAction.GRANTED,
      ConsentMethod.PREFERENCE_CENTRE,
      ConsentActorKind.PERSON,
      1,
      now,
    ]);
    preferences.push([userId, Topic.NEWSLETTER, Channel.EMAIL, 1, ConsentMethod.PREFERENCE_CENTRE, 1, eventId, now]);
  }
  await insertRows(
    dataSource,
    "user",
    ["id", "email", "passwordHash", "name", "role", "createdAt", "updatedAt"],
    users,
  );
  await insertRows(
    dataSource,
    "consent_event",
    ["id", "subjectHash", "topic", "channel", "action", "method", "actorKind", "policyVersion", "occurredAt"],
    events,
  );
  await insertRows(
    dataSource,
    "consent_preference",
    ["userId", "topic", "channel", "granted", "method", "policyVersion", "eventId", "updatedAt"],
    preferences,
  );
}
