import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MentorStatus } from '../mentor-directory/mentor-status.js';

/**
 * Live status records per status, in slots that the database's triggers keep up to date
 * (src/database/schema/status-record-counts.sql); the sum over the slots is the exact count.
 */
@Entity({ name: 'mentor_status_record_counts' })
export class MentorStatusRecordCount {
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'mentor_status_record_counts_pkey' })
  status: MentorStatus;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'mentor_status_record_counts_pkey' })
  slot: number;

  @Column({ type: 'bigint' })
  live: string;
}
