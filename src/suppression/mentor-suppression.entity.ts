import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { MentorProfile } from '../mentors/mentor-profile.entity.js';

// Declared so that `migration:generate` sees the schema the migration built; the descending
// indexes (and those with INCLUDE) cannot be expressed in decorators, hence `synchronize: false` on them.
@Entity({ name: 'mentor_suppressions' })
@Check('mentor_suppressions_reason_check', `"reason" ~ '^[a-z][a-z0-9_]{0,63}$'`)
@Check('mentor_suppressions_restore_reason_check', `"restore_reason" ~ '^[a-z][a-z0-9_]{0,63}$'`)
@Check('mentor_suppressions_active_check', `"is_active" = ("restored_at" IS NULL)`)
@Check('mentor_suppressions_restored_after_check', `"restored_at" IS NULL OR "restored_at" >= "suppressed_at"`)
@Check('mentor_suppressions_recorded_by_kind_check', `"recorded_by_kind" IN ('api_key', 'token')`)
@Check(
  'mentor_suppressions_recorded_by_check',
  `("recorded_by_kind" IS NULL) = ("recorded_by_id" IS NULL) AND ("recorded_by_kind" IS NULL) = ("recorded_by_request_id" IS NULL)`,
)
@Index('mentor_suppressions_recorded_by_idx', ['recordedById', 'suppressedAt', 'id'])
@Index('mentor_suppressions_one_active_idx', ['mentorId'], { unique: true, where: '"is_active"' })
@Index('mentor_suppressions_mentor_idx', { synchronize: false })
@Index('mentor_suppressions_suppressed_at_idx', { synchronize: false })
@Index('mentor_suppressions_coordinator_idx', { synchronize: false })
@Index('mentor_suppressions_reason_idx', { synchronize: false })
@Index('mentor_suppressions_active_idx', { synchronize: false })
export class MentorSuppression {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'mentor_suppressions_pkey' })
  id: string;

  @Column({ name: 'mentor_id', type: 'varchar', length: 64 })
  mentorId: string;

  @ManyToOne(() => MentorProfile, { nullable: false })
  @JoinColumn({ name: 'mentor_id', foreignKeyConstraintName: 'mentor_suppressions_mentor_id_fkey' })
  mentor?: MentorProfile;

  @Column({ name: 'coordinator_id', type: 'varchar', length: 64 })
  coordinatorId: string;

  @Column({ name: 'recorded_by_kind', type: 'varchar', length: 16, nullable: true })
  recordedByKind: 'api_key' | 'token' | null;

  @Column({ name: 'recorded_by_id', type: 'varchar', length: 255, nullable: true })
  recordedById: string | null;

  @Column({ name: 'recorded_by_client_id', type: 'varchar', length: 255, nullable: true })
  recordedByClientId: string | null;

  @Column({ name: 'recorded_by_request_id', type: 'varchar', length: 128, nullable: true })
  recordedByRequestId: string | null;

  @Column({ type: 'varchar', length: 64 })
  reason: string;

  @Column({ name: 'restore_reason', type: 'varchar', length: 64, nullable: true })
  restoreReason: string | null;

  @Column({ name: 'suppressed_at', type: 'timestamptz' })
  suppressedAt: Date;

  @Column({ name: 'restored_at', type: 'timestamptz', nullable: true })
  restoredAt: Date | null;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
