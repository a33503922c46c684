import { UserEntity } from "@honour/users";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";

/**
 * A built copy of one person's data, kept in the database (gateway and worker may run on
 * different machines) until its download link expires; then the retention job deletes it.
 * The document itself is in {@link DataExportPartEntity} rows.
 */
@Entity("privacy_data_export")
@Index("IDX_privacy_data_export_expires", ["expiresAt"])
export class DataExportEntity {
  /** The ACCESS request's id: one export per request. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** The account it is a copy of; only this account can download it. */
  @Index("IDX_privacy_data_export_subject")
  @Column({ type: "char", length: 36 })
  subjectUserId!: string;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "subjectUserId", foreignKeyConstraintName: "FK_privacy_data_export_user" })
  subject?: Relation<UserEntity>;

  @Column({ type: "int" })
  sizeBytes!: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  expiresAt!: Date;
}

/** Characters of the document per part: a MySQL `text` column holds 65,535 bytes, 4 per character at most. */
export const EXPORT_PART_CHARS = 16_000;

/** One slice of an export's JSON document, in order of `part`. */
@Entity("privacy_data_export_part")
export class DataExportPartEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  exportId!: string;

  @ManyToOne(() => DataExportEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "exportId", foreignKeyConstraintName: "FK_privacy_data_export_part_export" })
  export?: Relation<DataExportEntity>;

  @PrimaryColumn({ type: "int" })
  part!: number;

  @Column({ type: "text" })
  content!: string;
}
