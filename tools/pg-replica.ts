import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import { PgCluster } from './pg-cluster.js';
import { PG_BIN, postgresOwnedTempDir, runAsPostgres } from './postgres-user.js';

/** A hot standby that streams from a {@link PgCluster}: read-only, and behind the primary by however long replay takes. */
export class PgReplica extends PgCluster {
  constructor(
    root: string,
    port: number,
    readonly primary: PgCluster,
  ) {
    super(root, port);
  }

  /** Waits until the replica has replayed everything the primary had written when this was called. */
  async waitForReplay(timeoutMs = 30_000): Promise<void> {
    // The insert position: test clusters commit asynchronously, so the write position may not have reached the last commit yet.
    const [{ lsn }] = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ replayed }] = await this.query<{ replayed: boolean | null }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS replayed', [lsn]);
      if (replayed) return;
      if (Date.now() > deadline) throw new Error(`the replica did not replay up to ${lsn} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}

/** A new streaming replica of `primary` (pg_basebackup -R), started on a free port; call destroy() when done. */
export async function startReplica(primary: PgCluster): Promise<PgReplica> {
  const replica = new PgReplica(await postgresOwnedTempDir('mss-pg-replica-'), await freePort(), primary);
  await runAsPostgres(replica.root, join(PG_BIN, 'pg_basebackup'), [
    ...['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres'],
    ...['-D', replica.dataDir, '--write-recovery-conf', '--wal-method=stream', '--checkpoint=fast', '--no-sync'],
  ]);
  await replica.start();
  return replica;
}
