import { Check, Column, CreateDateColumn, DeleteDateColumn, Entity, ForeignKey, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { MentorProfile } from '../mentors/mentor-profile.entity.js';
import { ReasonCode } from '../reason-codes/reason-code.entity.js';
import type { MentorStatus } from '../mentor-directory/mentor-status.js';

@Entity({ name: 'mentor_status_records' })
@Check('mentor_status_records_status_check', `"status" IN ('active', 'paused')`)
@Check('mentor_status_records_paused_reason_check', `"status" <> 'paused' OR "reason" IS NOT NULL`)
@Check('mentor_status_records_reason_code_applies_to_pauses_check', `"reason_code_applies_to_pauses"`)
@Check('mentor_status_records_paused_reason_code_check', `"status" = 'paused' OR "reason_code" IS NULL`)
@Check('mentor_status_records_paused_resume_at_check', `"status" = 'paused' OR "resume_at" IS NULL`)
@ForeignKey(() => ReasonCode, ['reasonCode', 'reasonCodeAppliesToPauses'], ['code', 'appliesToPauses'], { name: 'mentor_status_records_reason_code_fkey' })
@Index('mentor_status_records_mentor_instant_key', ['mentorId', 'changedAt'], { unique: true, where: '"deleted_at" IS NULL' })
@Index('mentor_status_records_mentor_history_idx', ['mentorId', 'changedAt', 'id'], { where: '"deleted_at" IS NULL' })
@Index('mentor_status_records_changed_idx', ['changedAt', 'id'], { where: '"deleted_at" IS NULL' })
@Index('mentor_status_records_changed_by_idx', ['changedBy', 'changedAt', 'id'], { where: '"deleted_at" IS NULL' })
@Check('mentor_status_records_recorded_by_kind_check', `"recorded_by_kind" IN ('api_key', 'token')`)
@Check(
  'mentor_status_records_recorded_by_check',
  `("recorded_by_kind" IS NULL) = ("recorded_by_id" IS NULL) AND ("recorded_by_kind" IS NULL) = ("recorded_by_request_id" IS NULL)`,
)
@Index('mentor_status_records_recorded_by_idx', ['recordedById', 'changedAt', 'id'], { where: '"deleted_at" IS NULL' })
@Index('mentor_status_records_status_idx', ['status', 'changedAt', 'id'], { where: '"deleted_at" IS NULL' })
@Index('mentor_status_records_changed_by_status_idx', ['changedBy', 'status', 'changedAt', 'id'], { where: '"deleted_at" IS NULL' })
// Descending, and partial on rows with a code: beyond what the decorators express.
@Index('mentor_status_records_reason_code_idx', { synchronize: false })
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

  @Column({ name: 'reason_code', type: 'varchar', length: 64, nullable: true })
  reasonCode: string | null;

  /** Always true: what the foreign key to the registry's pause codes compares `applies_to_pauses` with. */
  @Column({ name: 'reason_code_applies_to_pauses', type: 'boolean', default: true })
  reasonCodeAppliesToPauses: boolean;

  @Column({ name: 'resume_at', type: 'timestamptz', nullable: true })
  resumeAt: Date | null;

  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt: Date;

  @Column({ name: 'changed_by', type: 'varchar', length: 64 })
  changedBy: string;

  @Column({ name: 'recorded_by_kind', type: 'varchar', length: 16, nullable: true })
  recordedByKind: 'api_key' | 'token' | null;

  @Column({ name: 'recorded_by_id', type: 'varchar', length: 255, nullable: true })
  recordedById: string | null;

  @Column({ name: 'recorded_by_client_id', type: 'varchar', length: 255, nullable: true })
  recordedByClientId: string | null;

  @Column({ name: 'recorded_by_request_id', type: 'varchar', length: 128, nullable: true })
  recordedByRequestId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz' })
  deletedAt: Date | null;
}
