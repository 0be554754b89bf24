import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { Sql } from '../database/sql.js';

/** The channel that says "events have committed"; the app notifies it after each commit that wrote events. */
export const EVENTS_CHANNEL = 'mentor_events';
const RECONNECT_DELAYS_MS = [250, 1_000, 5_000, 15_000, 30_000];
/**
 * The shortest time between two NOTIFYs of one instance. Each NOTIFY is a transaction of its own
 * that the database commits and flushes, and that wakes the listening connection of every
 * instance: sent after every writing commit it costs about as much database time as the event
 * insert itself (docs/EVENTS.md, "Cost"). The delivery workers look for work on a short gap of
 * their own anyway; a long poll on another instance hears of an event up to this much later. This
 * instance's own readers are woken at once, without waiting for it.
 */
const ANNOUNCE_GAP_MS = 10;

/**
 * One LISTEN connection per instance: a plain pg.Client on the database URL (not the pool, whose
 * connections come and go), so that a commit on any instance wakes the readers and workers of every
 * instance. Each notification, and each reconnection (notifications may have been missed while the
 * connection was down), moves a generation counter on; nothing runs while nobody writes.
 *
 * The NOTIFY is sent by {@link announce} after a writing transaction has committed, over this same
 * connection, not inside the writing transaction: PostgreSQL serialises the commits of all
 * notifying transactions of the cluster (a lock held until the commit is flushed), so writes that
 * notify commit one at a time, at most one per WAL flush for the whole cluster (docs/EVENTS.md, "Cost").
 *
 * Behind PgBouncer in transaction mode LISTEN does not work: this connection needs a direct URL;
 * without one there is none, and only this instance's own commits wake its readers.
 */
@Injectable()
export class EventNotifications implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('EventNotifications');
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closing = false;
  private generationNumber = 0;
  private waiters = 0;
  private listening = false;
  /** The NOTIFY in flight, if any. */
  private sending: Promise<void> | undefined;
  /** The next NOTIFY, waiting for ANNOUNCE_GAP_MS to pass since the last one. */
  private nextSend: NodeJS.Timeout | undefined;
  /** Commits since the last NOTIFY was sent, which it may not have covered. */
  private owed = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  /**
   * Runs a function in the async context this instance was made in (the app's start-up) rather than
   * the caller's: the work a commit wakes (delivery rounds, the NOTIFY) must not carry on the
   * writer's request, its trace and its request id.
   */
  private readonly outsideCallers = AsyncLocalStorage.snapshot();

  constructor(private readonly sql: Sql) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.sql.directSessions) await this.connect();
  }

  /** Long polls answer now rather than hold the shutdown up. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    this.notify();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    // The last commits are still told to the other instances, without waiting for the gap.
    clearTimeout(this.nextSend);
    this.nextSend = undefined;
    this.send();
    while (this.sending) await this.sending;
    await this.client?.end().catch(() => undefined);
  }

  /**
   * Tells every instance that events have committed: this one's readers at once, the others (and
   * this one again) through a NOTIFY on this connection. At most one NOTIFY is in flight per
   * instance, and the next is sent ANNOUNCE_GAP_MS after it at the earliest: the commits that ask
   * meanwhile share it. A commit that asks while a NOTIFY is in flight gets the next one, since
   * the one in flight may have been committed before it. While the connection is down only this
   * instance's readers are woken; the others find the events on their next notification or timer,
   * and each reconnection makes this instance's look again.
   */
  announce(): void {
    this.outsideCallers(() => {
      this.notify();
      this.owed = true;
      this.send();
    });
  }

  /** Sends the NOTIFY that is owed, unless one is in flight or the gap since the last has not passed (then it is scheduled). */
  private send(): void {
    if (!this.owed || this.sending || this.nextSend) return;
    const client = this.client;
    if (!client || !this.listening) {
      this.owed = false;
      return;
    }
    const wait = this.lastSentAt + ANNOUNCE_GAP_MS - performance.now();
    if (wait > 0 && !this.closing) {
      this.nextSend = setTimeout(() => {
        this.nextSend = undefined;
        this.send();
      }, wait).unref();
      return;
    }
    this.owed = false;
    this.lastSentAt = performance.now();
    this.sending = client
      .query(`NOTIFY ${EVENTS_CHANNEL}`)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.sending = undefined;
        this.send();
      });
  }

  /** Moves on with every notification: a reader that saw generation g has missed nothing while it is still g. */
  get generation(): number {
    return this.generationNumber;
  }

  /** Readers waiting for the next notification right now (long polls). */
  get waiting(): number {
    return this.waiters;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Calls `listener` on every notification (and reconnection); returns the function that stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the generation has moved past `seen`, after `milliseconds` at the latest, or at once on shutdown or `signal`. */
  waitForNext(seen: number, milliseconds: number, signal?: AbortSignal): Promise<void> {
    if (this.generationNumber !== seen || this.closing || milliseconds <= 0 || signal?.aborted) return Promise.resolve();
    this.waiters++;
    return new Promise((resolve) => {
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stop();
        signal?.removeEventListener('abort', done);
        this.waiters--;
        resolve();
      };
      const timer = setTimeout(done, milliseconds);
      const stop = this.subscribe(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private notify(): void {
    this.generationNumber++;
    for (const listener of [...this.listeners]) listener();
  }

  private async connect(): Promise<void> {
    // LISTEN needs a session of its own that no transaction pooler hands to another client.
    const client = this.sql.dedicatedClient('mentor-status-service-listener');
    // This instance's own NOTIFYs come back too; its readers were woken when it sent them.
    client.on('notification', (message) => {
      if (message.processId !== (client as pg.Client & { processID?: number }).processID) this.notify();
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      this.listening = true;
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.failures > 0) this.logger.log('listening for events again');
    this.failures = 0;
    // Whatever committed while the connection was down was not notified here: everyone looks again.
    this.notify();
  }

  private lost(client: pg.Client, error?: unknown): void {
    if (this.closing || this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    client.end().catch(() => undefined);
    const delay = RECONNECT_DELAYS_MS[Math.min(this.failures++, RECONNECT_DELAYS_MS.length - 1)];
    this.logger.warn(`event notifications lost (${error instanceof Error ? error.message : 'connection ended'}); reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay).unref();
  }
}
