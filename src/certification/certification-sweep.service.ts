import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { inBatches } from '../common/scheduling/batches.js';
import { ExclusiveJob } from '../common/scheduling/exclusive-job.js';
import { DatabaseLock } from '../database/database-lock.js';
import { Sql } from '../database/sql.js';
import { ExpiryPosition, MentorDirectoryService } from '../mentor-directory/mentor-directory.service.js';
import { CERTIFICATION_EXPIRED_REASON_CODE } from '../reason-codes/reserved-reason-codes.js';
import { StatusService } from '../status/status.service.js';
import { SuppressionService } from '../suppression/suppression.service.js';
import { CertificationSweepRunningProblem } from './certification-sweep-running.problem.js';
import { CertificationSweepActionDto, CertificationSweepReportDto } from './dto/certification-sweep-report.dto.js';

/** The sweep's actors and codes, as the contracts' examples show them. */
export const SWEEP_ACTORS = {
  pausedBy: 'system_auto_pause',
  reactivatedBy: 'system_auto_restore',
  coordinatorId: 'system',
} as const;
export const PAUSE_REASON = 'Certification expired';
export const REACTIVATE_REASON = 'Certification renewed';
export const SUPPRESSION_REASON = CERTIFICATION_EXPIRED_REASON_CODE;
export const RESTORE_REASON = 'certification_renewed';

/** Mentors per write; each status batch holds this many advisory locks in one transaction. */
export const SWEEP_BATCH_SIZE = 500;

type Action = 'paused' | 'suppressed' | 'restored' | 'reactivated';
const ACTIONS: readonly Action[] = ['paused', 'suppressed', 'restored', 'reactivated'];

interface Candidate {
  mentor_id: string;
  certification_expires_at: Date;
}

function actionDto(mentorIds: string[]): CertificationSweepActionDto {
  return { count: mentorIds.length, mentor_ids: [...mentorIds].sort() };
}

/**
 * Applies certification expiry to status and visibility: pauses and hides mentors whose
 * certification has lapsed, and undoes exactly what it did once the certification is renewed.
 * Writes go through StatusService and SuppressionService, so their locks and invariants hold.
 */
@Injectable()
export class CertificationSweepService {
  private readonly logger = new Logger('CertificationSweep');
  private readonly job: ExclusiveJob<Action>;

  constructor(
    sql: Sql,
    private readonly clock: Clock,
    private readonly statuses: StatusService,
    private readonly suppressions: SuppressionService,
    private readonly directory: MentorDirectoryService,
    metrics: MetricsService,
  ) {
    this.job = new ExclusiveJob(metrics, {
      metricPrefix: 'certification_sweep',
      runsAre: 'Certification sweeps',
      intervalVariable: 'CERT_SWEEP_INTERVAL_SECONDS',
      actions: ACTIONS,
      exclusively: (work) => sql.withSessionLockIfFree(DatabaseLock.CertificationSweep, work),
    });
  }

  /** {@link sweepIfFree}, refused (409) rather than queued while another sweep holds the lock. */
  async sweep(signal?: AbortSignal): Promise<CertificationSweepReportDto> {
    const report = await this.sweepIfFree(signal);
    if (!report) throw new CertificationSweepRunningProblem();
    return report;
  }

  /**
   * One sweep across all mentors, as of the clock's now; undefined when another is running. Only one
   * runs at a time across every instance (a session advisory lock, on the direct connection: a
   * transaction pooler would hand the session to others). Safe to repeat: a mentor already in the
   * intended state is not touched again. `signal` stops it between batches (shutdown); what is done
   * stays done, the next sweep continues.
   */
  sweepIfFree(signal?: AbortSignal): Promise<CertificationSweepReportDto | undefined> {
    return this.job.run(async (stop) => {
      const report = await this.sweepHoldingLock(stop);
      const changed = {
        paused: report.paused.count,
        suppressed: report.suppressed.count,
        restored: report.restored.count,
        reactivated: report.reactivated.count,
      };
      return { result: report, changed };
    }, signal);
  }

  private async sweepHoldingLock(signal: AbortSignal | undefined): Promise<CertificationSweepReportDto> {
    const startedAt = this.clock.now();
    const started = performance.now();
    const done: Record<Action, string[]> = { paused: [], suppressed: [], restored: [], reactivated: [] };

    await this.eachBatch(
      'expired',
      (position) => this.directory.expiredNeedingChange(startedAt, position, SWEEP_BATCH_SIZE),
      signal,
      async (mentorIds) => {
        const paused = await this.statuses.changeWhereCurrent(
          mentorIds,
          { status: 'active' },
          { status: 'paused', reason: PAUSE_REASON, reasonCode: CERTIFICATION_EXPIRED_REASON_CODE, changedBy: SWEEP_ACTORS.pausedBy },
        );
        const suppressed = await this.suppressions.suppressWhereNoneActive(mentorIds, {
          coordinatorId: SWEEP_ACTORS.coordinatorId,
          reason: SUPPRESSION_REASON,
        });
        done.paused.push(...paused);
        done.suppressed.push(...suppressed);
        return `paused ${paused.length}, suppressed ${suppressed.length}`;
      },
    );

    const marks = { pausedBy: SWEEP_ACTORS.pausedBy, suppressedBy: SWEEP_ACTORS.coordinatorId, reason: SUPPRESSION_REASON };
    await this.eachBatch(
      'renewed',
      (position) => this.directory.renewedNeedingChange(startedAt, position, SWEEP_BATCH_SIZE, marks),
      signal,
      async (mentorIds) => {
        const restored = await this.suppressions.restoreActiveMadeBy(
          mentorIds,
          { coordinatorId: SWEEP_ACTORS.coordinatorId, reason: SUPPRESSION_REASON },
          RESTORE_REASON,
        );
        // Only the sweep's own pause is lifted: a pause by anyone else stands whatever the certification says.
        const reactivated = await this.statuses.changeWhereCurrent(
          mentorIds,
          { status: 'paused', changedBy: SWEEP_ACTORS.pausedBy },
          { status: 'active', reason: REACTIVATE_REASON, changedBy: SWEEP_ACTORS.reactivatedBy },
        );
        done.restored.push(...restored);
        done.reactivated.push(...reactivated);
        return `restored ${restored.length}, reactivated ${reactivated.length}`;
      },
    );

    const totals = ACTIONS.map((action) => `${action} ${done[action].length}`).join(', ');
    const stopped = signal?.aborted ? ' (stopped early: shutting down, or its lock was lost)' : '';
    this.logger.log(`sweep as of ${startedAt.toISOString()} done in ${Math.round(performance.now() - started)} ms${stopped}: ${totals}`);
    return {
      started_at: startedAt.toISOString(),
      finished_at: this.clock.now().toISOString(),
      paused: actionDto(done.paused),
      suppressed: actionDto(done.suppressed),
      restored: actionDto(done.restored),
      reactivated: actionDto(done.reactivated),
    };
  }

  /** Walks the candidates that `select` gives in (expiry, mentor_id) order, a batch at a time. */
  private eachBatch(
    kind: string,
    select: (position: ExpiryPosition) => Promise<Candidate[]>,
    signal: AbortSignal | undefined,
    apply: (mentorIds: string[]) => Promise<string>,
  ): Promise<void> {
    return inBatches<Candidate>({
      size: SWEEP_BATCH_SIZE,
      signal,
      next: (last) => select(last ? { expiresAt: last.certification_expires_at, mentorId: last.mentor_id } : { expiresAt: '-infinity', mentorId: '' }),
      apply: async (rows, batch) => {
        const outcome = await apply(rows.map((row) => row.mentor_id));
        this.logger.log(`${kind} batch ${batch}: ${rows.length} mentors, ${outcome}`);
      },
    });
  }
}
