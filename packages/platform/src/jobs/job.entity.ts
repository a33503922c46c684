import { Column, Entity, Index, PrimaryColumn } from "typeorm";

export enum JobStatus {
  PENDING = "PENDING",
  RUNNING = "RUNNING",
  DONE = "DONE",
  DEAD = "DEAD",
}

/**
 * A unit of background work, stored in the same database as the change that caused it.
 * `IDX_job_claim` finds the oldest due job among a worker's names without locking;
 * `IDX_job_claim_name` lets the locking claim of one name read (and lock) only that name's rows.
 */
@Entity("job")
@Index("IDX_job_claim", ["status", "runAt"])
@Index("IDX_job_claim_name", ["status", "name", "runAt"])
export class JobEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 100 })
  name!: string;

  @Column({ type: "simple-json" })
  payload!: Record<string, unknown>;

  @Column({ type: "varchar", length: 16 })
  status!: JobStatus;

  /** Attempts started so far, counted when a worker claims the job. */
  @Column({ type: "int", default: 0 })
  attempts!: number;

  @Column({ type: "int" })
  maxAttempts!: number;

  /** Not to be claimed before this time (backoff, delayed jobs). */
  @Column({ type: "datetime", precision: 3 })
  runAt!: Date;

  @Column({ type: "varchar", length: 100, nullable: true })
  lockedBy!: string | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  heartbeatAt!: Date | null;

  @Column({ type: "text", nullable: true })
  lastError!: string | null;

  /** When set, no second job with this key is ever enqueued. */
  @Index("UQ_job_unique_key", { unique: true })
  @Column({ type: "varchar", length: 191, nullable: true })
  uniqueKey!: string | null;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  finishedAt!: Date | null;
}
