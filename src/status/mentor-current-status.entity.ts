import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MentorStatus } from '../mentor-directory/mentor-status.js';

/**
 * Each mentor's current status record (the latest live one), copied and kept up to date by the
 * database's triggers (src/database/schema/current-statuses.sql), so that finding it costs one key
 * lookup however long the mentor's history is.
 */
@Entity({ name: 'mentor_current_statuses' })
@Index('mentor_current_statuses_resume_at_idx', ['resumeAt', 'mentorId'], { where: '"resume_at" IS NOT NULL' })
export class MentorCurrentStatus {
  @PrimaryColumn({ name: 'mentor_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'mentor_current_statuses_pkey' })
  mentorId: string;

  @Column({ name: 'record_id', type: 'varchar', length: 30 })
  recordId: string;

  @Column({ type: 'varchar', length: 16 })
  status: MentorStatus;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @Column({ name: 'reason_code', type: 'varchar', length: 64, nullable: true })
  reasonCode: string | null;

  @Column({ name: 'resume_at', type: 'timestamptz', nullable: true })
  resumeAt: Date | null;

  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt: Date;

  @Column({ name: 'changed_by', type: 'varchar', length: 64 })
  changedBy: string;
}
