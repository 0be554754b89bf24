import { Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from '../errors/postgres-error.js';

/** What one scheduled run did: `skipped` when another instance was running the same job. */
export type ScheduledOutcome = 'completed' | 'skipped';

/**
 * Runs a job every `intervalSeconds` (0: never), the first run one interval after start. The timer
 * does not keep the process alive; a run still going when the next is due absorbs it; a skipped or
 * failed run is logged and the schedule goes on. `stop` clears the timer, aborts the signal the
 * running job was given (jobs stop between batches) and waits for it.
 */
export class IntervalSchedule {
  private readonly logger: Logger;
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    name: string,
    private readonly intervalSeconds: number,
    private readonly run: (signal: AbortSignal) => Promise<ScheduledOutcome>,
  ) {
    this.logger = new Logger(name);
  }

  start(): void {
    if (this.intervalSeconds === 0) return;
    this.timer = setInterval(() => this.tick(), this.intervalSeconds * 1000).unref();
    this.logger.log(`scheduled every ${this.intervalSeconds} s`);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.shutdown.abort();
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.run(this.shutdown.signal)
      .then(
        (outcome) => {
          if (outcome === 'skipped') this.logger.log('skipped: another instance is running it');
        },
        (error: unknown) => {
          const line = `scheduled run failed: ${error instanceof Error ? error.message : String(error)}`;
          // An outage is told once by what noticed it; the next run tries again.
          if (isDatabaseUnavailable(error)) this.logger.warn(line);
          else this.logger.error(line);
        },
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
