import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * One line of the audit log: who did what to whose data, and when. Append-only: the API has no
 * way to change or delete a line; only the retention job removes lines past their period.
 */
@Entity("audit_entry")
@Index("IDX_audit_entry_subject", ["subjectId", "id"])
@Index("IDX_audit_entry_actor", ["actorId", "id"])
export class AuditEntryEntity {
  /** UUIDv7: time-ordered, the pagination key. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** A user id, a partner id, or `system:<name>` for the worker. */
  @Column({ type: "varchar", length: 64 })
  actorId!: string;

  @Column({ type: "varchar", length: 16 })
  actorKind!: string;

  @Column({ type: "varchar", length: 40 })
  action!: string;

  /** The person (user id) or partner whose data was touched; null for actions about no one. */
  @Column({ type: "varchar", length: 64, nullable: true })
  subjectId!: string | null;

  /** A short, non-personal note (an order number, the new role, a request id). */
  @Column({ type: "varchar", length: 200, nullable: true })
  detail!: string | null;

  @Column({ type: "datetime", precision: 3 })
  at!: Date;
}
