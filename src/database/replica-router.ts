import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../common/config/app-config.js';
import { isDatabaseUnavailable, postgresError } from '../common/errors/postgres-error.js';
import { currentConsistency, type WalSource } from './consistency.js';
import { APPLICATION_NAME, checkPool, replicaPoolConfig } from './data-source-options.js';
import { queryOnce } from './lease.js';
import type { Queryable } from './queryable.js';

/** How often the replicas' lag is measured. */
export const REPLICA_CHECK_INTERVAL_MS = 500;
/** The longest a check waits for a replica, or the primary, to answer. */
const CHECK_TIMEOUT_MS = 1000;

export type ReplicaCondition = 'unknown' | 'up' | 'lagging' | 'down';

/** One replica as the router sees it: for readiness checks and metrics. */
export interface ReplicaState {
  /** host:port/database, never credentials. */
  replica: string;
  /** `up`: reads go to it; `lagging`: further behind than REPLICA_MAX_LAG_MS; `down`: not answering, or not a standby; `unknown`: not checked yet. */
  condition: ReplicaCondition;
  /** Estimated age of the oldest write it has not replayed, at the last check that reached it. */
  lag_ms: number | null;
  checked_at: string | null;
  error: string | null;
  /** Reads it has served. */
  reads: number;
}

/** The primary's WAL position at a moment (performance.now()). */
export interface WalSample {
  lsn: bigint;
  at: number;
}

/** `16/B374D848` as a number of bytes. */
export function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * How long ago the primary wrote the oldest WAL a replica has not replayed yet, from the primary's
 * positions sampled over time (oldest first; the last taken just before the replica was asked).
 * Zero when the replica has replayed the last sample: an idle primary writes nothing, so its
 * replicas are not behind, whereas `now() - pg_last_xact_replay_timestamp()` on the replica would
 * keep growing. Between two samples the primary is taken to write at an even pace; a replica
 * behind every sample kept is at least as old as the oldest.
 */
export function replayLag(samples: readonly WalSample[], replayed: bigint, now: number): number {
  const latest = samples[samples.length - 1];
  if (latest === undefined || replayed >= latest.lsn) return 0;
  const ahead = samples.findIndex((sample) => sample.lsn > replayed);
  if (ahead === 0) return Math.max(0, now - samples[0].at);
  const before = samples[ahead - 1];
  const after = samples[ahead];
  const share = Number(replayed - before.lsn) / Number(after.lsn - before.lsn);
  return Math.max(0, Math.round(now - (before.at + share * (after.at - before.at))));
}

/**
 * What a failed read on a replica says about the replica rather than the query: it cannot be
 * reached or is going away (the app's "database unavailable" errors, a statement timeout
 * excepted, as the query would be as slow on the primary), or it cancelled the query to go on
 * replaying (a recovery conflict, 40001; its database dropped, 57P04).
 */
function isReplicaFault(error: unknown): boolean {
  const code = postgresError(error)?.code;
  if (code === '40001' || code === '57P04') return true;
  return isDatabaseUnavailable(error) && code !== '57014';
}

function labelOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

class Replica implements WalSource {
  condition: ReplicaCondition = 'unknown';
  lagMs: number | null = null;
  /** The most it is known to have replayed: from the last check, raised by any later look at it. */
  replayedAtLeast = 0n;
  checkedAt: Date | null = null;
  error: string | null = null;
  reads = 0;
  /** The pool that serves reads, opened once the replica first answers a check. */
  pool: pg.Pool | undefined;
  readonly label: string;
  private readonly probe: pg.Pool;

  constructor(
    private readonly url: string,
    private readonly config: AppConfig,
  ) {
    this.label = labelOf(url);
    // Checks take one connection at a time; the other serves the requests asking where it stands (position()), a short query each.
    this.probe = checkPool(url, `${APPLICATION_NAME} replica check`, CHECK_TIMEOUT_MS, 2);
  }

  async replayed(): Promise<bigint> {
    const { rows } = await this.probe.query<{ standby: boolean; replayed: string | null }>(
      'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
    );
    const [{ standby, replayed }] = rows;
    if (!standby) throw new Error('not a standby (pg_is_in_recovery() is false)');
    if (replayed === null) throw new Error('has not replayed any WAL yet');
    return parseLsn(replayed);
  }

  /**
   * Where it stands now, asked after reads: at or after everything they saw, as replay only moves
   * on. A replica promoted meanwhile takes writes of its own, so its insert position is given then.
   * Asked on the checks' connections, bounded like a check.
   */
  async position(): Promise<bigint> {
    const [{ standby, lsn }] = await queryOnce<{ standby: boolean; lsn: string }>(
      this.probe,
      'SELECT standby, (CASE WHEN standby THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text AS lsn FROM pg_is_in_recovery() AS standby',
    );
    const position = parseLsn(lsn);
    if (standby && position > this.replayedAtLeast) this.replayedAtLeast = position;
    return position;
  }

  open(): void {
    if (this.pool) return;
    this.pool = new pg.Pool(replicaPoolConfig(this.config, this.url));
    // A connection that breaks while idle is dropped by the pool; reads and checks say what they find.
    this.pool.on('error', () => undefined);
  }

  state(): ReplicaState {
    return {
      replica: this.label,
      condition: this.condition,
      lag_ms: this.lagMs,
      checked_at: this.checkedAt?.toISOString() ?? null,
      error: this.error,
      reads: this.reads,
    };
  }

  async close(): Promise<void> {
    await this.probe.end();
    await this.pool?.end();
  }
}

/**
 * Where reads that may be a little behind go: round robin over the replicas of
 * DATABASE_REPLICA_URLS that are up and no further behind than REPLICA_MAX_LAG_MS, else the
 * primary. Every REPLICA_CHECK_INTERVAL_MS it samples the primary's WAL position and each
 * replica's replayed position (see {@link replayLag}); a replica that fails a check, or a read,
 * is skipped until a check finds it back. A read that fails on a replica because of the replica
 * runs again on the primary, so a replica outage costs no request.
 *
 * A read whose request carries a consistency token (see consistency.ts) goes only to a replica
 * known to have replayed it: by its last check, or by a later look at it (each request that read
 * from it asks where it stands). When none is, it goes to the primary rather than asking a replica
 * first: right after a write, which is when a token is ahead, a replica has seldom replayed it yet,
 * and asking would cost a round trip more than the primary's answer. Until the next check shows
 * a replica past the token, that client reads from the primary, as GitLab's load balancer sticks
 * a writer to the primary until the replicas have caught up with it.
 */
@Injectable()
export class ReplicaRouter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Replicas');
  private readonly replicas: Replica[];
  private readonly primaryProbe: pg.Pool | undefined;
  private samples: WalSample[] = [];
  private turn = 0;
  private fallbacks = 0;
  private aheadOfReplicas = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly config: AppConfig) {
    this.replicas = config.databaseReplicaUrls.map((url) => new Replica(url, config));
    this.primaryProbe =
      this.replicas.length > 0 && config.databaseUrl ? checkPool(config.databaseUrl, `${APPLICATION_NAME} replica check`, CHECK_TIMEOUT_MS) : undefined;
  }

  /**
   * For the reads that may be served by a replica (GETs of single resources, lists, chapter
   * views): each statement goes to a replica in turn, or to `primary`. Without replicas, `primary` itself.
   */
  reads(primary: Queryable): Queryable {
    if (this.replicas.length === 0) return primary;
    return { query: (text, values) => this.read(primary, text, values) };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.replicas.length === 0) return;
    await this.check();
    this.timer = setInterval(() => {
      this.checking ??= this.check().finally(() => (this.checking = undefined));
    }, REPLICA_CHECK_INTERVAL_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    await Promise.all(this.replicas.map((replica) => replica.close()));
    await this.primaryProbe?.end();
  }

  /**
   * Each replica's condition, how many reads fell back to the primary after failing on a replica,
   * and how many went to the primary because no replica that was up had replayed their token.
   */
  state(): { replicas: ReplicaState[]; fallbacks: number; aheadOfReplicas: number } {
    return { replicas: this.replicas.map((replica) => replica.state()), fallbacks: this.fallbacks, aheadOfReplicas: this.aheadOfReplicas };
  }

  /** Runs a read on the next usable replica, or on the primary when there is none or the replica fails it. */
  private async read<Row>(primary: Queryable, text: string, values: readonly unknown[] | undefined): Promise<Row[]> {
    const consistency = currentConsistency();
    const wanted = consistency?.wanted;
    const replica = this.nextUsable(wanted);
    if (!replica?.pool) {
      if (wanted !== undefined && this.replicas.some((any) => any.condition === 'up')) this.aheadOfReplicas += 1;
      return primary.query<Row>(text, values);
    }
    try {
      const rows = await queryOnce<Row>(replica.pool, text, values);
      replica.reads += 1;
      consistency?.read(replica);
      return rows;
    } catch (error) {
      if (!isReplicaFault(error)) throw error;
      this.mark(replica, 'down', null, error);
      this.fallbacks += 1;
      return primary.query<Row>(text, values);
    }
  }

  /** The next replica in turn that is up and, given a position, known to have replayed it. */
  private nextUsable(wanted: bigint | undefined): Replica | undefined {
    for (let i = 0; i < this.replicas.length; i++) {
      const replica = this.replicas[(this.turn + i) % this.replicas.length];
      if (replica.condition === 'up' && (wanted === undefined || replica.replayedAtLeast >= wanted)) {
        this.turn = (this.turn + i + 1) % this.replicas.length;
        return replica;
      }
    }
    return undefined;
  }

  private async check(): Promise<void> {
    await this.samplePrimary();
    await Promise.all(this.replicas.map((replica) => this.checkReplica(replica)));
  }

  /** Without a fresh sample (the primary is not answering) the replicas are measured against the last one. */
  private async samplePrimary(): Promise<void> {
    try {
      const { rows } = await this.primaryProbe!.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      const now = performance.now();
      // Enough history to tell any lag up to the limit, and a little more.
      const keepFrom = now - this.config.replicaMaxLagMs - 10 * REPLICA_CHECK_INTERVAL_MS;
      this.samples = [...this.samples.filter((sample) => sample.at >= keepFrom), { lsn: parseLsn(rows[0].lsn), at: now }];
    } catch (error) {
      this.logger.debug(`could not read the primary's WAL position: ${String(error)}`);
    }
  }

  private async checkReplica(replica: Replica): Promise<void> {
    try {
      const replayed = await replica.replayed();
      // A check is the truth: a replica that was restarted may have started again from further back.
      replica.replayedAtLeast = replayed;
      replica.open();
      const lag = replayLag(this.samples, replayed, performance.now());
      this.mark(replica, lag > this.config.replicaMaxLagMs ? 'lagging' : 'up', lag);
    } catch (error) {
      this.mark(replica, 'down', null, error);
    }
  }

  /** Records what a check or a read found; changes of condition are logged, steady states are not. */
  private mark(replica: Replica, condition: ReplicaCondition, lagMs: number | null, error?: unknown): void {
    const before = replica.condition;
    replica.condition = condition;
    replica.checkedAt = new Date();
    replica.lagMs = lagMs ?? replica.lagMs;
    replica.error = error === undefined ? null : error instanceof Error ? error.message : JSON.stringify(error);
    if (before === condition) return;
    if (condition === 'up') this.logger.log(`replica ${replica.label} is up (lag ${lagMs} ms): reads go to it again`);
    else if (condition === 'lagging')
      this.logger.warn(`replica ${replica.label} lags ${lagMs} ms (REPLICA_MAX_LAG_MS ${this.config.replicaMaxLagMs}): skipped`);
    else this.logger.warn(`replica ${replica.label} is down: skipped (${replica.error})`);
  }
}
