import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Clock } from '../common/clock/clock.js';
import { isDatabaseUnavailable } from '../common/errors/postgres-error.js';
import { AppConfig } from '../common/config/app-config.js';
import { Sql } from '../database/sql.js';
import { WebhookSubscriptionDisabledDataDto } from './dto/webhook-subscription-disabled-data.dto.js';
import { EventNotifications } from '../events/event-notifications.js';
import { BEGINNING, comparePositions, type EventRow, OutboxPosition } from '../events/event-types.js';
import { EventsService, positionOf, toCloudEvent } from '../events/events.service.js';
import { DeliveryOutcome, WebhookMetrics } from './webhook-metrics.js';
import { AttemptResult, WebhookSender } from './webhook-sender.js';
import { retryDelayMs } from './webhook-retry-policy.js';
import { AttemptWrite, DeliveryRow, SubscriptionProgress, SubscriptionRow, WebhooksRepository } from './webhooks.repository.js';

/** Events read (and booked) per round of one subscription. */
const BATCH = 200;
/** The longest a worker sleeps without a reason to wake; catches what a lost notification would have said. */
const IDLE_CHECK_MS = 60_000;
const WITHHELD_BACKOFF_MS = { first: 10, max: 500 };
/** The least time between the starts of two looks for work; what commits meanwhile waits at most this long. */
const MIN_DRAIN_INTERVAL_MS = 20;

/** What one delivery ended in, for the books. */
interface Settled {
  write: AttemptWrite;
  /** False when shutdown cut the request off: not an attempt, nothing to book. */
  attempted: boolean;
  delivered: boolean;
  /** True when the subscription must wait (a retry is due later) before its next event. */
  blocks: boolean;
  error: string | null;
}

/**
 * Delivers the outbox's events to webhook subscriptions, in every instance. A worker claims a
 * subscription with a lease (SKIP LOCKED, so instances claim side by side), delivers its next
 * events one after the other in outbox order, and books them in one transaction, renewing the lease;
 * it never starts a request that could outlast its lease, so no two workers deliver to one
 * subscription at a time. An instance that dies mid-delivery has not booked what it sent: after the
 * lease runs out another worker sends it again, with the same webhook-id (at least once).
 *
 * It runs when an event commits (the outbox's NOTIFY, on any instance) and when a retry or lease
 * falls due; otherwise it sleeps.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookDelivery');
  private readonly owner = randomUUID();
  private readonly stopping = new AbortController();
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private withheldBackoff = WITHHELD_BACKOFF_MS.first;
  private lastDrain = -Infinity;
  /** Runs a round in the async context the worker was made in: a request that wakes it (a retry, a PUT) must not carry its rounds in its trace and its logs. */
  private readonly outsideCallers = AsyncLocalStorage.snapshot();

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly sql: Sql,
    private readonly repository: WebhooksRepository,
    private readonly events: EventsService,
    private readonly notifications: EventNotifications,
    private readonly sender: WebhookSender,
    private readonly metrics: WebhookMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.webhookWorkers === 0) return;
    this.unsubscribe = this.notifications.subscribe(() => this.wake());
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.running;
  }

  /** Looks for work now (also after the injected clock was moved). */
  wake(): void {
    if (this.stopping.signal.aborted || this.config.webhookWorkers === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.outsideCallers(() => this.cycle()).finally(() => {
      this.running = undefined;
      // A wake between the cycle's last look and here found it still running: look again.
      if (this.again) this.wake();
    });
  }

  /** Resolves once no round is running (tests: after moving the clock and waking it). */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async cycle(): Promise<void> {
    let delay: number | undefined;
    try {
      do {
        // Under a steady stream of commits every notification would start another round of queries at once: one round per interval serves them all.
        const wait = this.lastDrain + MIN_DRAIN_INTERVAL_MS - performance.now();
        if (wait > 0) await sleep(wait, undefined, { ref: false });
        this.again = false;
        this.lastDrain = performance.now();
        delay = await this.drain();
      } while (this.again && !this.stopping.signal.aborted);
    } catch (error) {
      const line = `webhook delivery round failed: ${error instanceof Error ? error.message : String(error)}`;
      // The deliveries wait in the outbox: the next round, or the next notification, picks them up.
      if (isDatabaseUnavailable(error)) this.logger.warn(line);
      else this.logger.error(line);
      delay = 5_000;
    }
    if (delay !== undefined && !this.stopping.signal.aborted) this.timer = setTimeout(() => this.wake(), delay).unref();
  }

  /** Claims and serves subscriptions until none has work; returns when to look again, or undefined for "on the next notification". */
  private async drain(): Promise<number | undefined> {
    for (;;) {
      // Every commit wakes the workers; without a subscription one cheap query answers instead of a round's three.
      if (this.stopping.signal.aborted || !(await this.repository.anyEnabled())) return undefined;
      const { tail, withheld } = await this.events.tail();
      const now = this.clock.now();
      const claimed = await this.repository.claim(this.owner, now, this.leaseFrom(now), tail ?? BEGINNING, this.config.webhookWorkers);
      if (claimed.length > 0) {
        await Promise.all(claimed.map((subscription) => this.serve(subscription)));
        continue;
      }
      if (withheld) {
        const delay = this.withheldBackoff;
        this.withheldBackoff = Math.min(delay * 2, WITHHELD_BACKOFF_MS.max);
        return delay;
      }
      this.withheldBackoff = WITHHELD_BACKOFF_MS.first;
      const due = await this.repository.nextDue(tail ?? BEGINNING);
      if (due === null) return undefined;
      return Math.min(Math.max(due.getTime() - this.clock.now().getTime(), 0) + 1, IDLE_CHECK_MS);
    }
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.config.webhookLeaseSeconds * 1000);
  }

  /** Serves one claimed subscription round by round while it has work and the lease can be renewed. */
  private async serve(claimed: SubscriptionRow): Promise<void> {
    let subscription = claimed;
    let leaseUntil = this.leaseFrom(this.clock.now());
    const sign = this.sender.signer(subscription.secret);
    for (;;) {
      const round = await this.round(subscription, leaseUntil, sign);
      if (!round) return;
      subscription = round.subscription;
      leaseUntil = round.leaseUntil;
    }
  }

  /** One round: due redeliveries, then the next events after the position; books them and says whether to go on. */
  private async round(
    subscription: SubscriptionRow,
    leaseUntil: Date,
    sign: (delivery: { id: string; body: string }) => Record<string, string>,
  ): Promise<{ subscription: SubscriptionRow; leaseUntil: Date } | undefined> {
    const position: OutboxPosition = { xid: subscription.position_xid, seq: subscription.position_seq };
    // A request is started only while it cannot outlast the lease.
    const mayStart = () => !this.stopping.signal.aborted && this.clock.now().getTime() + this.config.webhookTimeoutMs < leaseUntil.getTime();
    const settled: Settled[] = [];
    let moved = position;
    let blocked = false;
    let full = false;

    const redeliveries = await this.repository.dueRedeliveries(subscription.id, position, this.clock.now(), BATCH);
    const redelivered = new Map(
      (await this.events.eventsAt(redeliveries.map((row) => ({ xid: row.event_xid, seq: row.event_seq })))).map((row) => [row.id, row]),
    );
    for (const row of redeliveries) {
      if (!mayStart()) break;
      const event = redelivered.get(row.event_id);
      const outcome = event ? await this.attempt(subscription, event, row, sign) : this.expired(row);
      if (outcome.attempted) settled.push(outcome);
    }

    if (mayStart()) {
      const read = await this.events.eventsAfter(position, { types: subscription.event_types ?? undefined }, BATCH);
      full = read.rows.length === BATCH;
      const head = read.rows[0] ? await this.repository.deliveryOf(subscription.id, positionOf(read.rows[0])) : undefined;
      for (const event of read.rows) {
        if (!mayStart()) {
          full = true;
          break;
        }
        const outcome = await this.attempt(subscription, event, event === read.rows[0] ? head : undefined, sign);
        if (!outcome.attempted) break;
        settled.push(outcome);
        if (outcome.blocks) {
          blocked = true;
          break;
        }
        moved = positionOf(event);
      }
      if (!blocked && !full && read.tail && comparePositions(read.tail, moved) > 0) moved = read.tail;
    }

    const progress = this.progress(subscription, moved, settled, blocked);
    const goOn = !blocked && full && !this.stopping.signal.aborted && progress.disabledAt === null;
    progress.leaseUntil = goOn ? this.leaseFrom(this.clock.now()) : null;
    const booked = await this.sql.tx(async (tx) => {
      const held = await this.repository.book(
        tx,
        subscription.id,
        this.owner,
        settled.map((entry) => entry.write),
        progress,
      );
      if (held && progress.disabledAt !== null) await this.events.record(tx, [this.disabledEvent(subscription, progress, settled)]);
      return held;
    });
    if (!booked) {
      this.logger.warn(`lost the lease of subscription ${subscription.id} before booking; another worker resends`);
      return undefined;
    }
    if (progress.disabledAt !== null) {
      this.metrics.subscriptionDisabled();
      this.logger.warn(`disabled subscription ${subscription.id}: no successful delivery since ${subscription.failing_since?.toISOString()}`);
    }
    if (!goOn || progress.leaseUntil === null) return undefined;
    return {
      subscription: {
        ...subscription,
        position_xid: moved.xid,
        position_seq: moved.seq,
        failing_since: progress.failingSince,
        last_success_at: progress.lastSuccessAt,
      },
      leaseUntil: progress.leaseUntil,
    };
  }

  /** Sends one event and decides what follows from the answer: delivered, retry later (blocking the next events), or given up. */
  private async attempt(
    subscription: SubscriptionRow,
    event: EventRow,
    previous: DeliveryRow | undefined,
    sign: (delivery: { id: string; body: string }) => Record<string, string>,
  ): Promise<Settled> {
    const body = JSON.stringify(toCloudEvent(event));
    // The writer's trace goes on at the receiver (W3C Trace Context; CloudEvents' distributed tracing extension puts it in this header too).
    const headers = event.traceparent ? { ...sign({ id: event.id, body }), traceparent: event.traceparent } : sign({ id: event.id, body });
    const result: AttemptResult = await this.sender.send({ url: subscription.url, id: event.id, body }, headers, this.stopping.signal);
    const now = this.clock.now();
    const base = {
      event: { xid: event.xid, seq: event.seq, id: event.id, type: event.type },
      attemptedAt: now,
      responseStatus: result.status,
      durationMs: result.durationMs,
      error: result.error,
      responseBody: result.body,
    };
    const settle = (outcome: DeliveryOutcome, settled: Settled): Settled => {
      this.metrics.settled(outcome, result.status, result.durationMs);
      return settled;
    };
    const giveUp = () =>
      settle('gave_up', { write: { ...base, status: 'failed', nextAttemptAt: null }, attempted: true, delivered: false, blocks: false, error: result.error });
    switch (result.outcome.kind) {
      case 'delivered':
        return settle('delivered', {
          write: { ...base, status: 'succeeded', nextAttemptAt: null },
          attempted: true,
          delivered: true,
          blocks: false,
          error: null,
        });
      case 'not-attempted':
        return { write: { ...base, status: 'pending', nextAttemptAt: now }, attempted: false, delivered: false, blocks: false, error: null };
      case 'permanent':
        return giveUp();
      case 'retryable': {
        const firstAttempt = previous?.first_attempt_at ?? now;
        if (now.getTime() - firstAttempt.getTime() >= this.config.webhookRetryForSeconds * 1000) return giveUp();
        const delay = retryDelayMs(
          (previous?.attempts ?? 0) + 1,
          { baseMs: this.config.webhookRetryBaseMs, maxMs: this.config.webhookRetryMaxMs },
          result.outcome.retryAfterMs,
        );
        return settle('retrying', {
          write: { ...base, status: 'pending', nextAttemptAt: new Date(now.getTime() + delay) },
          attempted: true,
          delivered: false,
          blocks: true,
          error: result.error,
        });
      }
    }
  }

  /** A redelivery of an event that retention has deleted meanwhile: it cannot be sent again. */
  private expired(row: DeliveryRow): Settled {
    const write: AttemptWrite = {
      event: { xid: row.event_xid, seq: row.event_seq, id: row.event_id, type: row.event_type },
      status: 'failed',
      attemptedAt: this.clock.now(),
      nextAttemptAt: null,
      responseStatus: null,
      durationMs: 0,
      error: 'the event is no longer retained',
      responseBody: null,
    };
    this.metrics.settled('gave_up', null, undefined);
    return { write, attempted: true, delivered: false, blocks: false, error: write.error };
  }

  private progress(subscription: SubscriptionRow, position: OutboxPosition, settled: Settled[], blocked: boolean): SubscriptionProgress {
    const now = this.clock.now();
    const lastSuccess = settled.findLastIndex((entry) => entry.delivered);
    const failedSince = settled.slice(lastSuccess + 1).some((entry) => !entry.delivered);
    // Failing since the first failure after the last success: this round's, or the one before it.
    let failingSince = subscription.failing_since;
    if (lastSuccess >= 0) failingSince = failedSince ? now : null;
    else if (failedSince) failingSince = subscription.failing_since ?? now;
    const disable = failingSince !== null && now.getTime() - failingSince.getTime() >= this.config.webhookDisableAfterSeconds * 1000;
    const retryAt = blocked ? settled[settled.length - 1].write.nextAttemptAt : null;
    return {
      position,
      nextAttemptAt: retryAt,
      failingSince,
      lastSuccessAt: lastSuccess >= 0 ? now : subscription.last_success_at,
      leaseUntil: null,
      disabledAt: disable ? now : null,
    };
  }

  private disabledEvent(subscription: SubscriptionRow, progress: SubscriptionProgress, settled: Settled[]) {
    const data: WebhookSubscriptionDisabledDataDto = {
      subscription_id: subscription.id,
      url: subscription.url,
      failing_since: (progress.failingSince ?? this.clock.now()).toISOString(),
      disabled_at: (progress.disabledAt ?? this.clock.now()).toISOString(),
      last_error: settled.findLast((entry) => entry.error !== null)?.error ?? null,
    };
    return { type: 'webhook.subscription.disabled' as const, subject: subscription.id, data };
  }
}
