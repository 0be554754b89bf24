import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, Unique, UpdateDateColumn } from 'typeorm';

/** One code of the registry (migration CreateReasonCodes). */
@Entity({ name: 'reason_codes' })
@Check('reason_codes_code_check', `"code" ~ '^[a-z][a-z0-9_]{0,63}$'`)
@Check('reason_codes_applies_check', `"applies_to_pauses" OR "applies_to_suppressions"`)
@Unique('reason_codes_pause_code_key', ['code', 'appliesToPauses'])
export class ReasonCode {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'reason_codes_pkey' })
  code: string;

  @Column({ name: 'applies_to_pauses', type: 'boolean' })
  appliesToPauses: boolean;

  @Column({ name: 'applies_to_suppressions', type: 'boolean' })
  appliesToSuppressions: boolean;

  @Column({ type: 'varchar', length: 100 })
  label: string;

  @Column({ type: 'varchar', length: 500 })
  description: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
