import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { DatabaseLock } from '../database/database-lock.js';
import { DirectDatabase } from '../database/direct-database.js';
import { EventsService } from './events.service.js';

/**
 * Deletes events older than EVENTS_RETENTION_DAYS every EVENTS_PRUNE_INTERVAL_SECONDS (0: never),
 * as the certification sweep is scheduled: a timer that does not keep the process alive, one run
 * at a time across instances (a session advisory lock; the others skip), stopped between batches on shutdown.
 */
@Injectable()
export class EventsRetentionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EventsRetention');
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly events: EventsService,
    private readonly direct: DirectDatabase,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.eventsPruneIntervalSeconds;
    if (seconds === 0) return;
    this.timer = setInterval(() => this.tick(), seconds * 1000).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.shutdown.abort();
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.direct
      .withSessionLockIfFree(DatabaseLock.EventsRetention, () => this.events.prune(this.shutdown.signal))
      .then(
        (pruned) => {
          if (pruned && pruned.result > 0) this.logger.log(`deleted ${pruned.result} events older than ${this.config.eventsRetentionDays} days`);
        },
        (error: unknown) => this.logger.error(`pruning events failed: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
