import { Injectable, Logger } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, MetricsService } from '../common/metrics/metrics.service.js';
import { BACKLOG_SCAN_LIMIT } from '../events/event-types.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** How a delivery settled: `delivered` (2xx), `retrying` (a retry is scheduled), `gave_up` (a 4xx that is not retried, the retry window ran out, or the event was pruned). */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'gave_up';

/** `2xx` … `5xx`, or `none` when no HTTP answer came (connection error, timeout, refused address). */
function statusClass(status: number | null): string {
  return status === null ? 'none' : `${Math.floor(status / 100)}xx`;
}

/**
 * The webhook metrics: delivery outcomes and durations as this instance's workers settle them, and
 * the subscriptions' backlog and states, read from the database at scrape time (the same for every
 * instance: aggregate them with max, not sum).
 */
@Injectable()
export class WebhookMetrics {
  private readonly logger = new Logger('WebhookMetrics');
  private readonly deliveries: Counter<'outcome' | 'status_class'>;
  private readonly duration: Histogram<'status_class'>;
  private readonly disabled: Counter;

  constructor(metrics: MetricsService, repository: WebhooksRepository) {
    this.deliveries = metrics.counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook deliveries this instance settled, by outcome (`delivered`, `retrying`, `gave_up`) and the status class of the answer (`2xx`…`5xx`, `none` without one).',
      labelNames: ['outcome', 'status_class'],
    });
    this.duration = metrics.histogram({
      name: 'webhook_delivery_duration_seconds',
      help: 'Time a webhook request took until its answer was read or it failed, by the status class of the answer (`none` without one).',
      labelNames: ['status_class'],
      buckets: LATENCY_BUCKETS,
    });
    this.disabled = metrics.counter({
      name: 'webhook_subscriptions_disabled_total',
      help: 'Subscriptions this instance disabled because they failed without a success for WEBHOOK_DISABLE_AFTER_SECONDS.',
    });
    const backlog = metrics.shared(() =>
      repository.backlog(BACKLOG_SCAN_LIMIT).catch((error: unknown) => {
        this.logger.warn(`could not read the webhook backlog: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }),
    );
    metrics.gauge({
      name: 'webhook_backlog_events',
      help: `Events the enabled subscriptions still have to deliver (at most ${BACKLOG_SCAN_LIMIT} counted per subscription), redeliveries asked for included; NaN while the database cannot be asked.`,
      async collect() {
        this.set((await backlog())?.events ?? NaN);
      },
    });
    metrics.gauge({
      name: 'webhook_backlog_age_seconds',
      help: 'Age of the oldest event an enabled subscription still has to deliver, 0 when all are up to date: alert when it grows; NaN while the database cannot be asked.',
      async collect() {
        this.set((await backlog())?.ageSeconds ?? NaN);
      },
    });
    metrics.gauge({
      name: 'webhook_subscriptions',
      help: 'Subscriptions by state: `healthy` (enabled, no failure since the last success), `failing` (enabled, failing since its last success) and `disabled`.',
      labelNames: ['state'],
      async collect() {
        const states = (await backlog())?.subscriptions;
        for (const state of ['healthy', 'failing', 'disabled'] as const) this.set({ state }, states?.[state] ?? NaN);
      },
    });
  }

  /** One settled delivery: its outcome, and, when a request was made, its duration. */
  settled(outcome: DeliveryOutcome, status: number | null, durationMs: number | undefined): void {
    const status_class = statusClass(status);
    this.deliveries.inc({ outcome, status_class });
    if (durationMs !== undefined) this.duration.observe({ status_class }, durationMs / 1000);
  }

  subscriptionDisabled(): void {
    this.disabled.inc();
  }
}
