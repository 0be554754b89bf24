import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A named position in the outbox's (xid, seq) order: how far retention pruned, how far a publisher got. */
@Entity({ name: 'event_positions' })
export class EventPosition {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'event_positions_pkey' })
  name: string;

  @Column({ type: 'bigint' })
  xid: string;

  @Column({ type: 'bigint' })
  seq: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
