import { Logger } from '@nestjs/common';
import { DatabaseUnavailableError, isDatabaseUnavailable, postgresError } from '../common/errors/postgres-error.js';

/** Runs `callback` after `ms`; the function it returns cancels it. Injected so that tests drive time. */
export type Schedule = (callback: () => void, ms: number) => () => void;

const realSchedule: Schedule = (callback, ms) => {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * SQLSTATEs that a server still answering sends: a single slow statement (57014), a full server
 * (53300) or a standby refusing a write (25006) says nothing about the primary being unreachable, and failing every request fast for it
 * would turn one slow query into an outage.
 */
const SERVER_ANSWERED = new Set(['57014', '53300', '25006']);

export interface PrimaryBreakerOptions {
  /** One bounded `SELECT 1` on a connection of its own: resolves when the primary answers. */
  probe: () => Promise<void>;
  /** Pause between two probes while open. */
  probeIntervalMs: number;
  /**
   * Work (a connection, an answer) still awaited after this long, and again every this long, has
   * the probe check the primary, unless a probe answered within that time: a server that vanished
   * without a word (a host gone, a network cut, a pooler queueing for a server it cannot reach)
   * fails nothing until the timeouts, so without this the work waiting on it would wait them out.
   * Unset: only failures are checked.
   */
  suspectAfterMs?: number;
  /** Milliseconds on a monotonic clock; injected so that tests drive time. */
  now?: () => number;
  schedule?: Schedule;
  logger?: Pick<Logger, 'warn' | 'log'>;
}

/**
 * Whether the primary is known to be unreachable, so that requests fail at once (503) instead of
 * each waiting out DB_CONNECT_TIMEOUT_MS and DB_QUERY_TIMEOUT_MS on a database that does not
 * answer. A failure that says the primary may be gone (a timeout, a lost or refused connection;
 * see {@link counts}) is checked at once by the probe, which bounds itself; when the probe fails
 * too, the breaker opens: every new query fails with {@link DatabaseUnavailableError}, and the
 * work waiting for a connection or an answer is told so too (see {@link race}). While open the
 * probe runs again and again, and its first answer closes the breaker.
 * A failure the probe contradicts (a pool merely busy, one connection lost) changes nothing.
 */
export class PrimaryBreaker {
  private open = false;
  private openedBy = '';
  private probing = false;
  private stopped = false;
  private lastAnsweredAt = Number.NEGATIVE_INFINITY;
  private cancelNext: (() => void) | undefined;
  private readonly waiting = new Set<(error: DatabaseUnavailableError) => void>();
  private readonly schedule: Schedule;
  private readonly logger: Pick<Logger, 'warn' | 'log'>;

  constructor(private readonly options: PrimaryBreakerOptions) {
    this.schedule = options.schedule ?? realSchedule;
    this.logger = options.logger ?? new Logger('Database');
  }

  /** False while the primary is known to be unreachable. */
  get available(): boolean {
    return !this.open;
  }

  /** Throws {@link DatabaseUnavailableError} while open. */
  admit(): void {
    if (this.open) throw this.unavailable();
  }

  /**
   * Settles as `work` does, or rejects with {@link DatabaseUnavailableError} as soon as the breaker
   * opens, whichever comes first; what `work` gives after that goes to `abandon` (a connection to
   * hand back).
   */
  race<T>(work: Promise<T>, abandon: (value: T) => void = () => undefined): Promise<T> {
    if (this.open) {
      work.then(abandon, () => undefined);
      return Promise.reject(this.unavailable());
    }
    const cancelSuspicion = this.suspectWhileWaiting();
    let givenUp = false;
    let giveUp!: (error: DatabaseUnavailableError) => void;
    const opened = new Promise<never>((_resolve, reject) => {
      giveUp = (error) => {
        givenUp = true;
        reject(error);
      };
    });
    this.waiting.add(giveUp);
    work.then(
      (value) => {
        if (givenUp) abandon(value);
      },
      () => undefined,
    );
    return Promise.race([work, opened]).finally(() => {
      cancelSuspicion?.();
      this.waiting.delete(giveUp);
    });
  }

  /** Told of every failure through the seam: one that may mean the primary is gone has the probe check it. */
  failed(error: unknown): void {
    if (this.stopped || this.open || this.probing || !counts(error)) return;
    void this.check(error);
  }

  /** Suspects the primary every suspectAfterMs until the function it returns is called. */
  private suspectWhileWaiting(): (() => void) | undefined {
    const { suspectAfterMs } = this.options;
    if (suspectAfterMs === undefined) return undefined;
    let cancel: () => void;
    const arm = () => {
      cancel = this.schedule(() => {
        this.suspect(suspectAfterMs);
        arm();
      }, suspectAfterMs);
    };
    arm();
    return () => cancel();
  }

  private suspect(waitedMs: number): void {
    if (this.stopped || this.open || this.probing || this.now() - this.lastAnsweredAt < waitedMs) return;
    void this.check(new Error(`work waited more than ${waitedMs} ms`));
  }

  private now(): number {
    return (this.options.now ?? performance.now.bind(performance))();
  }

  /** No more probes (the app is shutting down). */
  stop(): void {
    this.stopped = true;
    this.cancelNext?.();
  }

  private async check(cause: unknown): Promise<void> {
    this.probing = true;
    try {
      await this.options.probe();
      this.lastAnsweredAt = this.now();
      if (this.open) this.close();
    } catch (error) {
      if (!this.open) this.trip(cause, error);
    } finally {
      this.probing = false;
    }
    if (this.open && !this.stopped) {
      this.cancelNext = this.schedule(() => void this.check(cause), this.options.probeIntervalMs);
    }
  }

  private trip(cause: unknown, probeError: unknown): void {
    this.open = true;
    this.openedBy = describe(cause);
    this.logger.warn(
      `the primary database is not answering (${this.openedBy}; probe: ${describe(probeError)}): requests fail at once with 503 until it answers again`,
    );
    const error = this.unavailable();
    for (const giveUp of [...this.waiting]) giveUp(error);
    this.waiting.clear();
  }

  private close(): void {
    this.open = false;
    this.logger.log('the primary database answers again: requests go to it again');
  }

  private unavailable(): DatabaseUnavailableError {
    return new DatabaseUnavailableError(`the primary database is not answering (fail-fast breaker open since: ${this.openedBy})`);
  }
}

/** A failure that may mean the primary is unreachable, not one of the request nor a server that answered. */
export function counts(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError || !isDatabaseUnavailable(error)) return false;
  const code = postgresError(error)?.code;
  return code === undefined || !SERVER_ANSWERED.has(code);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
