import { Injectable } from '@nestjs/common';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { type ReplicaCondition, ReplicaRouter } from './replica-router.js';

const CONDITIONS: readonly ReplicaCondition[] = ['up', 'lagging', 'down', 'unknown'];

/**
 * What the replica router last found about each replica of DATABASE_REPLICA_URLS, read from its
 * state when scraped: the replay lag, and the condition that decides whether reads go to it. A
 * replica that is down has no lag worth showing (its last one would look current), so it is NaN.
 * The router keeps the primary's positions only as far back as it needs to tell REPLICA_MAX_LAG_MS,
 * so a longer lag reads as that horizon: alert on the condition, not on a lag above it.
 * Without replicas there are no series.
 */
@Injectable()
export class ReplicaMetrics {
  constructor(metrics: MetricsService, router: ReplicaRouter) {
    metrics.gauge({
      name: 'db_replica_lag_seconds',
      help: 'Age of the oldest write the replica has not replayed, at the last check (every 500 ms), told up to about REPLICA_MAX_LAG_MS + 5 s (older WAL positions are not kept): a lower bound beyond; NaN while it is down or not checked yet.',
      labelNames: ['replica'],
      collect() {
        for (const { replica, condition, lag_ms } of router.state().replicas) {
          const measured = (condition === 'up' || condition === 'lagging') && lag_ms !== null;
          this.set({ replica }, measured ? lag_ms / 1000 : NaN);
        }
      },
    });
    metrics.gauge({
      name: 'db_replica_condition',
      help: "1 for the replica's condition, 0 for the others: `up` (reads go to it), `lagging` (behind REPLICA_MAX_LAG_MS, skipped), `down` (not answering or not a standby, skipped), `unknown`.",
      labelNames: ['replica', 'condition'],
      collect() {
        for (const state of router.state().replicas) {
          for (const condition of CONDITIONS) this.set({ replica: state.replica, condition }, state.condition === condition ? 1 : 0);
        }
      },
    });
  }
}
