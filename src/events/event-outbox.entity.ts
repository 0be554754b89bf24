import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One change event, written in the transaction of the change (migration CreateEventOutbox). */
@Entity({ name: 'event_outbox' })
@Index('event_outbox_subject_idx', ['subject', 'xid', 'seq'])
export class EventOutboxEntry {
  /** The writing transaction's id (pg_current_xact_id()): readers order by it, then by seq. */
  @PrimaryColumn({ type: 'bigint', default: () => '((pg_current_xact_id())::text)::bigint', primaryKeyConstraintName: 'event_outbox_pkey' })
  xid: string;

  @PrimaryColumn({ type: 'bigint', generated: 'increment', primaryKeyConstraintName: 'event_outbox_pkey' })
  seq: string;

  @Column({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 64 })
  subject: string;

  @Column({ type: 'timestamptz' })
  time: Date;

  @Column({ type: 'json' })
  data: unknown;

  /** The writer's W3C traceparent while tracing is on (migration OutboxTraceparentNotifyAfterCommit). */
  @Column({ type: 'varchar', length: 55, nullable: true })
  traceparent: string | null;
}
