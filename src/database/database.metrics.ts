import { Injectable, Module } from '@nestjs/common';
import type pg from 'pg';
import type { Histogram } from 'prom-client';
import { LATENCY_BUCKETS, MetricsService } from '../common/metrics/metrics.service.js';
import type { QueryObserver } from './bounded-client.js';

/** What a pool says about itself: pg-pool's counters. */
type PoolCounts = Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'> & { options: { max?: number } };

/**
 * The connection pools' state and the queries' durations, by pool (`primary` is the app's TypeORM
 * pool). The pool gauges are read from pg-pool's own counters when scraped; the durations are
 * observed by BoundedClient as each query settles (see {@link queryObserver}). Another pool (a
 * replica's) is measured the same way: `watchPool(name, pool)` and `observeQuery: queryObserver(name)`.
 */
@Injectable()
export class DatabaseMetrics {
  private readonly pools = new Map<string, PoolCounts>();
  private primaryAvailable: () => boolean = () => true;
  private readonly queryDuration: Histogram<'pool' | 'outcome'>;
  private readonly enabled: boolean;

  constructor(metrics: MetricsService) {
    this.enabled = metrics.enabled;
    const pools = this.pools;
    const primaryAvailable = () => this.primaryAvailable();
    metrics.gauge({
      name: 'db_primary_available',
      help: '0 while the primary is known not to answer and requests fail fast with 503 (the fail-fast breaker is open), else 1.',
      collect() {
        this.set(primaryAvailable() ? 1 : 0);
      },
    });
    metrics.gauge({
      name: 'db_pool_connections',
      help: 'Connections of the pool: `total` open, `idle` among them (open and not lent out).',
      labelNames: ['pool', 'state'],
      collect() {
        for (const [name, pool] of pools) {
          this.set({ pool: name, state: 'total' }, pool.totalCount);
          this.set({ pool: name, state: 'idle' }, pool.idleCount);
        }
      },
    });
    metrics.gauge({
      name: 'db_pool_max_connections',
      help: 'The most connections the pool opens (DB_POOL_SIZE for `primary`).',
      labelNames: ['pool'],
      collect() {
        for (const [name, pool] of pools) this.set({ pool: name }, pool.options.max ?? 10);
      },
    });
    metrics.gauge({
      name: 'db_pool_waiting_requests',
      help: 'Requests waiting for a connection of the pool: above 0 for long, the pool is too small or the queries too slow.',
      labelNames: ['pool'],
      collect() {
        for (const [name, pool] of pools) this.set({ pool: name }, pool.waitingCount);
      },
    });
    this.queryDuration = metrics.histogram({
      name: 'db_query_duration_seconds',
      help: 'Time from sending a query to its answer or failure (`outcome`: `ok` or `error`, a timeout included), by pool.',
      labelNames: ['pool', 'outcome'],
      buckets: LATENCY_BUCKETS,
    });
  }

  watchPrimary(available: () => boolean): void {
    this.primaryAvailable = available;
  }

  watchPool(name: string, pool: PoolCounts): void {
    this.pools.set(name, pool);
  }

  /** Undefined while nothing reads the metrics (METRICS_PORT=0): queries then pass untimed. */
  queryObserver(pool: string): QueryObserver | undefined {
    if (!this.enabled) return undefined;
    return (seconds, failed) => this.queryDuration.observe({ pool, outcome: failed ? 'error' : 'ok' }, seconds);
  }
}

/** For the data source's factory and any other module that runs a pool of its own. */
@Module({ providers: [DatabaseMetrics], exports: [DatabaseMetrics] })
export class DatabaseMetricsModule {}
