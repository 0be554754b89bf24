import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { IntervalSchedule } from '../common/scheduling/interval-schedule.js';
import { DatabaseLock } from '../database/database-lock.js';
import { Sql } from '../database/sql.js';
import { EventsService } from './events.service.js';

/**
 * Deletes events older than EVENTS_RETENTION_DAYS every EVENTS_PRUNE_INTERVAL_SECONDS (0: never),
 * on the schedulers' one mechanism: one run at a time across instances (a session advisory lock;
 * the others skip), stopped between batches on shutdown.
 */
@Injectable()
export class EventsRetentionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EventsRetention');
  private readonly schedule: IntervalSchedule;

  constructor(config: AppConfig, events: EventsService, sql: Sql) {
    this.schedule = new IntervalSchedule('EventsRetention', config.eventsPruneIntervalSeconds, async (signal) => {
      const pruned = await sql.withSessionLockIfFree(DatabaseLock.EventsRetention, (held) => events.prune(AbortSignal.any([signal, held])));
      if (!pruned) return 'skipped';
      if (pruned.result > 0) this.logger.log(`deleted ${pruned.result} events older than ${config.eventsRetentionDays} days`);
      return 'completed';
    });
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.schedule.stop();
  }
}
