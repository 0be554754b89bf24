import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { jetstream, JetStreamApiCodes, JetStreamApiError, jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import { connect, headers, type MsgHdrs, nanos, type NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Counter } from 'prom-client';
import { AppConfig } from '../common/config/app-config.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { DatabaseLock } from '../database/database-lock.js';
import { Sql } from '../database/sql.js';
import { EventNotifications } from '../events/event-notifications.js';
import { BACKLOG_SCAN_LIMIT, BEGINNING } from '../events/event-types.js';
import { EventsService, positionOf, toCloudEvent } from '../events/events.service.js';

const BATCH = 500;
/** How often an instance that is not the publisher checks whether the publisher has gone. */
const FOLLOWER_RETRY_MS = 10_000;
const RECONNECT_DELAYS_MS = [500, 1_000, 2_000, 5_000, 10_000];
const WITHHELD_BACKOFF_MS = { first: 10, max: 500 };

/** The writer's trace context as message headers, so that a consumer continues the writer's trace. */
function traceHeaders(traceparent: string): MsgHdrs {
  const carried = headers();
  carried.set('traceparent', traceparent);
  return carried;
}

/**
 * What the publisher counts, and, with NATS_URL, the outbox's backlog behind it (read at scrape
 * time, the same on every instance: aggregate with max).
 */
class PublisherMetrics {
  readonly published: Counter<'result'>;
  readonly failures: Counter;
  private readonly logger = new Logger('JetStreamMetrics');

  constructor(metrics: MetricsService, backlog: (() => Promise<{ events: number; ageSeconds: number }>) | undefined) {
    this.published = metrics.counter({
      name: 'jetstream_published_events_total',
      help: 'Events this instance published to JetStream and JetStream acknowledged, by result: `stored`, or `duplicate` (it had the Nats-Msg-Id already).',
      labelNames: ['result'],
    });
    for (const result of ['stored', 'duplicate']) this.published.inc({ result }, 0);
    this.failures = metrics.counter({
      name: 'jetstream_publish_failures_total',
      help: 'Batches of events whose publication failed (NATS unreachable, no acknowledgement in time); they are published again.',
    });
    if (!backlog) return;
    const read = metrics.shared(() =>
      backlog().catch((error: unknown) => {
        this.logger.warn(`could not read the JetStream backlog: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }),
    );
    metrics.gauge({
      name: 'jetstream_backlog_events',
      help: `Events committed and not yet acknowledged by JetStream (at most ${BACKLOG_SCAN_LIMIT} counted); NaN while the database cannot be asked.`,
      async collect() {
        this.set((await read())?.events ?? NaN);
      },
    });
    metrics.gauge({
      name: 'jetstream_backlog_age_seconds',
      help: 'Age of the oldest event not yet acknowledged by JetStream, 0 when all are: alert when it grows; NaN while the database cannot be asked.',
      async collect() {
        this.set((await read())?.ageSeconds ?? NaN);
      },
    });
  }
}

/**
 * Publishes the outbox to JetStream when NATS_URL is set: every event, in outbox order, to
 * `<prefix>.<type>` with `Nats-Msg-Id` = the event id, so that JetStream drops what it already has
 * (within the stream's duplicate window). The position in `event_positions` moves on only after
 * JetStream acknowledged the events, so a NATS outage delays publication and loses nothing. One
 * instance publishes at a time (a session advisory lock); the others wait to take over.
 */
@Injectable()
export class JetStreamPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('JetStream');
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private connection: NatsConnection | undefined;
  private readonly metrics: PublisherMetrics;

  constructor(
    private readonly config: AppConfig,
    private readonly sql: Sql,
    private readonly events: EventsService,
    private readonly notifications: EventNotifications,
    metrics: MetricsService,
  ) {
    this.metrics = new PublisherMetrics(metrics, config.natsUrl ? () => events.backlog(this.positionName, BACKLOG_SCAN_LIMIT) : undefined);
  }

  /** The name of this stream's position among the outbox positions. */
  get positionName(): string {
    return `jetstream:${this.config.natsStream}`;
  }

  onApplicationBootstrap(): void {
    if (!this.config.natsUrl) return;
    this.running = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.connection?.close().catch(() => undefined);
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        const led = await this.sql.withSessionLockIfFree(DatabaseLock.EventPublisher, (held) => this.lead(AbortSignal.any([this.stopping.signal, held])));
        if (!led) await this.pause(FOLLOWER_RETRY_MS);
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        this.logger.warn(`publishing to JetStream failed (${error instanceof Error ? error.message : String(error)}); trying again`);
        await this.pause(RECONNECT_DELAYS_MS[RECONNECT_DELAYS_MS.length - 1]);
      }
    }
  }

  /**
   * Holding the publisher lock: connect, make sure the stream is there, then publish until `stop`
   * (shutdown, or the lock lost with its session: another instance may publish from then on, so
   * this one stops before its next batch; what it published is acknowledged, the position tells the next publisher).
   */
  private async lead(stop: AbortSignal): Promise<void> {
    const connection = await this.connect();
    if (!connection) return;
    this.connection = connection;
    try {
      await this.ensureStream(connection);
      const js = jetstream(connection);
      let backoff = WITHHELD_BACKOFF_MS.first;
      while (!stop.aborted) {
        const seen = this.notifications.generation;
        const position = (await this.events.position(this.positionName)) ?? BEGINNING;
        const read = await this.events.eventsAfter(position, {}, BATCH);
        if (read.rows.length > 0) {
          // Published side by side over one connection, so they reach the stream in this order; acknowledged before the position moves.
          const acks = await Promise.all(
            read.rows.map((row) =>
              js.publish(`${this.config.natsSubjectPrefix}.${row.type}`, JSON.stringify(toCloudEvent(row)), {
                msgID: row.id,
                timeout: 10_000,
                ...(row.traceparent && { headers: traceHeaders(row.traceparent) }),
              }),
            ),
          ).catch((error: unknown) => {
            this.metrics.failures.inc();
            throw error;
          });
          const duplicates = acks.filter((ack) => ack.duplicate).length;
          this.metrics.published.inc({ result: 'stored' }, acks.length - duplicates);
          this.metrics.published.inc({ result: 'duplicate' }, duplicates);
          await this.events.setPosition(this.positionName, positionOf(read.rows[read.rows.length - 1]));
          backoff = WITHHELD_BACKOFF_MS.first;
          continue;
        }
        if (read.withheld) {
          await this.notifications.waitForNext(seen, backoff, stop);
          backoff = Math.min(backoff * 2, WITHHELD_BACKOFF_MS.max);
        } else {
          await this.notifications.waitForNext(seen, 60_000, stop);
        }
      }
    } finally {
      this.connection = undefined;
      await connection.close().catch(() => undefined);
    }
  }

  /** Connects, retrying with backoff while NATS is not there; undefined on shutdown. Once connected, the client reconnects by itself. */
  private async connect(): Promise<NatsConnection | undefined> {
    for (let failures = 0; !this.stopping.signal.aborted; failures++) {
      try {
        const servers = (this.config.natsUrl ?? '').split(',');
        return await connect({ servers, name: 'mentor-status-service', maxReconnectAttempts: -1, reconnectTimeWait: 1_000 });
      } catch (error) {
        const delay = RECONNECT_DELAYS_MS[Math.min(failures, RECONNECT_DELAYS_MS.length - 1)];
        if (failures === 0 || delay === RECONNECT_DELAYS_MS[RECONNECT_DELAYS_MS.length - 1]) {
          this.logger.warn(`NATS is not reachable (${error instanceof Error ? error.message : String(error)}); events wait in the outbox`);
        }
        await this.pause(delay);
      }
    }
    return undefined;
  }

  private async ensureStream(connection: NatsConnection): Promise<void> {
    const manager = await jetstreamManager(connection);
    const config: Partial<StreamConfig> & { name: string } = {
      name: this.config.natsStream,
      subjects: [`${this.config.natsSubjectPrefix}.>`],
      duplicate_window: nanos(this.config.natsDuplicateWindowSeconds * 1000),
    };
    try {
      await manager.streams.info(config.name);
      await manager.streams.update(config.name, config);
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
      await manager.streams.add(config);
    }
  }

  private async pause(milliseconds: number): Promise<void> {
    await sleep(milliseconds, undefined, { signal: this.stopping.signal, ref: false }).catch(() => undefined);
  }
}
