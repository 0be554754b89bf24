import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { inBatches } from '../common/scheduling/batches.js';
import { ExclusiveJob } from '../common/scheduling/exclusive-job.js';
import { DatabaseLock } from '../database/database-lock.js';
import { Sql } from '../database/sql.js';
import { EndingPauseRow, StatusService } from '../status/status.service.js';

/** The resume sweep's actor and reason. */
export const RESUMED_BY = 'system_auto_resume';
export const RESUME_REASON = 'Pause ended (resume_at)';

/** Mentors per write; each batch holds this many advisory locks in one transaction. */
export const RESUME_BATCH_SIZE = 500;

/** What one resume sweep did. */
export interface ResumeSweepReport {
  startedAt: Date;
  resumed: string[];
}

/**
 * Ends the pauses whose `resume_at` has come: for each mentor whose current status is a pause with
 * `resume_at` at or before the sweep's start, an `active` record by `system_auto_resume`. The write
 * goes through StatusService.changeWhereCurrent, which decides again under the mentor's history
 * lock: a mentor whose status changed meanwhile (a manual change, a newer pause, a corrected
 * `resume_at`) is left as it is, so a later manual change is never undone.
 */
@Injectable()
export class ResumeSweepService {
  private readonly logger = new Logger('ResumeSweep');
  private readonly job: ExclusiveJob<'resumed'>;

  constructor(
    sql: Sql,
    private readonly clock: Clock,
    private readonly statuses: StatusService,
    metrics: MetricsService,
  ) {
    this.job = new ExclusiveJob(metrics, {
      metricPrefix: 'resume_sweep',
      runsAre: 'Resume sweeps',
      intervalVariable: 'RESUME_SWEEP_INTERVAL_SECONDS',
      actions: ['resumed'],
      exclusively: (work) => sql.withSessionLockIfFree(DatabaseLock.ResumeSweep, work),
    });
  }

  /**
   * One sweep as of the clock's now, one instance at a time (a session lock on the direct
   * connection); undefined when another is running. `signal` stops it between batches.
   */
  sweepIfFree(signal?: AbortSignal): Promise<ResumeSweepReport | undefined> {
    return this.job.run(async (stop) => {
      const report = await this.sweepHoldingLock(stop);
      return { result: report, changed: { resumed: report.resumed.length } };
    }, signal);
  }

  private async sweepHoldingLock(signal: AbortSignal | undefined): Promise<ResumeSweepReport> {
    const startedAt = this.clock.now();
    const resumed: string[] = [];
    await inBatches<EndingPauseRow>({
      size: RESUME_BATCH_SIZE,
      signal,
      next: (last) => this.statuses.pausesEndingBy(startedAt, last, RESUME_BATCH_SIZE),
      apply: async (rows, batch) => {
        const changed = await this.statuses.changeWhereCurrent(
          rows.map((row) => row.mentor_id),
          { status: 'paused', resumeAtOrBefore: startedAt },
          { status: 'active', reason: RESUME_REASON, changedBy: RESUMED_BY },
        );
        resumed.push(...changed);
        this.logger.log(`batch ${batch}: ${rows.length} pauses due, ${changed.length} resumed`);
      },
    });
    if (resumed.length > 0) this.logger.log(`resumed ${resumed.length} mentors whose pause ended by ${startedAt.toISOString()}`);
    return { startedAt, resumed };
  }
}
