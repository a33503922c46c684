import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A job written to the database that the Redis queue has not yet handed to Redis: inserted in the
 * same transaction as its `job` row, deleted once BullMQ holds a job with the same id. A row left
 * behind (the process died between commit and hand-over, or Redis was down) is relayed by any
 * worker's maintenance pass; BullMQ's job id is this id, so relaying twice adds one job.
 */
@Entity("job_outbox")
@Index("IDX_job_outbox_created", ["createdAt"])
export class JobOutboxEntity {
  /** The `job` row's id, and BullMQ's job id. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 100 })
  name!: string;

  @Column({ type: "datetime", precision: 3 })
  runAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;
}
