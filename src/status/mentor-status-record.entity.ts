import { Check, Column, CreateDateColumn, DeleteDateColumn, Entity, ForeignKey, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { MentorProfile } from '../mentors/mentor-profile.entity.js';
import type { MentorStatus } from '../mentor-directory/mentor-status.js';

@Entity({ name: 'mentor_status_records' })
@Check('mentor_status_records_status_check', `"status" IN ('active', 'paused')`)
@Check('mentor_status_records_paused_reason_check', `"status" <> 'paused' OR "reason" IS NOT NULL`)
@Index('mentor_status_records_mentor_instant_key', ['mentorId', 'changedAt'], { unique: true, where: '"deleted_at" IS NULL' })
@Index('mentor_status_records_mentor_history_idx', ['mentorId', 'changedAt', 'id'], { where: '"deleted_at" IS NULL' })
@Index('mentor_status_records_changed_idx', ['changedAt', 'id'], { where: '"deleted_at" IS NULL' })
@Index('mentor_status_records_changed_by_idx', ['changedBy', 'changedAt', 'id'], { where: '"deleted_at" IS NULL' })
export class MentorStatusRecord {
  @PrimaryColumn({ type: 'varchar', length: 30 })
  id: string;

  @Column({ name: 'mentor_id', type: 'varchar', length: 64 })
  @ForeignKey(() => MentorProfile, 'mentorId', { name: 'mentor_status_records_mentor_id_fkey' })
  mentorId: string;

  @Column({ type: 'varchar', length: 16 })
  status: MentorStatus;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt: Date;

  @Column({ name: 'changed_by', type: 'varchar', length: 64 })
  changedBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz' })
  deletedAt: Date | null;
}
