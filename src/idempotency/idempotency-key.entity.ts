import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const IDEMPOTENCY_STATES = ['in_progress', 'completed'] as const;
export type IdempotencyState = (typeof IDEMPOTENCY_STATES)[number];

/** One Idempotency-Key of one caller: reserved while its request runs, then the answer to replay. */
@Entity({ name: 'idempotency_keys' })
@Check('idempotency_keys_state_check', `"state" IN ('in_progress', 'completed')`)
@Check('idempotency_keys_response_check', `("state" = 'completed') = ("response_status" IS NOT NULL AND "response_body" IS NOT NULL)`)
@Index('idempotency_keys_expires_at_idx', ['expiresAt'])
export class IdempotencyKey {
  /** The API-key name of the caller; empty while writes are open. */
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'idempotency_keys_pkey' })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 255, primaryKeyConstraintName: 'idempotency_keys_pkey' })
  key: string;

  /** SHA-256 (hex) of method, path and canonical JSON body. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash: string;

  /** Which reservation owns the row, so a request never completes a key that another one took over. */
  @Column({ name: 'reservation_id', type: 'uuid' })
  reservationId: string;

  @Column({ type: 'varchar', length: 16 })
  state: IdempotencyState;

  @Column({ name: 'response_status', type: 'smallint', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'response_content_type', type: 'varchar', length: 255, nullable: true })
  responseContentType: string | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;

  @Column({ name: 'reserved_at', type: 'timestamptz' })
  reservedAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
