import { Injectable, Logger } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { Clock } from '../common/clock/clock.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { DatabaseLock } from '../database/database-lock.js';
import { DirectDatabase } from '../database/direct-database.js';
import { ExpiryPosition, MentorDirectoryService } from '../mentor-directory/mentor-directory.service.js';
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
export const SUPPRESSION_REASON = 'certification_expired';
export const RESTORE_REASON = 'certification_renewed';

/** Mentors per write; each status batch holds this many advisory locks in one transaction. */
export const SWEEP_BATCH_SIZE = 500;

type Action = 'paused' | 'suppressed' | 'restored' | 'reactivated';
const ACTIONS: readonly Action[] = ['paused', 'suppressed', 'restored', 'reactivated'];

/** A sweep with nothing to do takes a fraction of a second; 50,000 changes take seconds. */
const SWEEP_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

class SweepMetrics {
  readonly runs: Counter<'outcome'>;
  readonly duration: Histogram;
  readonly changes: Counter<'action'>;
  readonly lastCompleted: Gauge;

  constructor(metrics: MetricsService) {
    this.runs = metrics.counter({
      name: 'certification_sweep_runs_total',
      help: 'Certification sweeps this instance ran (scheduled or requested), by outcome: `completed`, `skipped` (another was running) or `failed`.',
      labelNames: ['outcome'],
    });
    this.duration = metrics.histogram({ name: 'certification_sweep_duration_seconds', help: 'Time a completed sweep took.', buckets: SWEEP_DURATION_BUCKETS });
    this.changes = metrics.counter({
      name: 'certification_sweep_changes_total',
      help: 'Mentors the sweeps changed, by action: `paused`, `suppressed`, `restored`, `reactivated`.',
      labelNames: ['action'],
    });
    this.lastCompleted = metrics.gauge({
      name: 'certification_sweep_last_completed_timestamp_seconds',
      help: 'When the last sweep of this instance completed (Unix time); alert when it falls far behind CERT_SWEEP_INTERVAL_SECONDS.',
    });
  }
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
  private readonly metrics: SweepMetrics;

  constructor(
    private readonly direct: DirectDatabase,
    private readonly clock: Clock,
    private readonly statuses: StatusService,
    private readonly suppressions: SuppressionService,
    private readonly directory: MentorDirectoryService,
    metrics: MetricsService,
  ) {
    this.metrics = new SweepMetrics(metrics);
  }

  /**
   * One sweep across all mentors, as of the clock's now. Only one runs at a time across every
   * instance (a session advisory lock, on the direct connection: a transaction pooler would hand
   * the session to others); while another holds it this one is refused (409) rather than queued. Safe to repeat: a mentor already in the intended state is not touched again.
   * `signal` stops it between batches (shutdown); what is done stays done, the next sweep continues.
   */
  async sweep(signal?: AbortSignal): Promise<CertificationSweepReportDto> {
    const started = performance.now();
    const swept = await this.direct
      .withSessionLockIfFree(DatabaseLock.CertificationSweep, () => this.sweepHoldingLock(signal))
      .catch((error: unknown) => {
        this.metrics.runs.inc({ outcome: 'failed' });
        throw error;
      });
    if (!swept) {
      this.metrics.runs.inc({ outcome: 'skipped' });
      throw new CertificationSweepRunningProblem();
    }
    this.metrics.runs.inc({ outcome: 'completed' });
    this.metrics.duration.observe((performance.now() - started) / 1000);
    for (const action of ACTIONS) this.metrics.changes.inc({ action }, swept.result[action].count);
    this.metrics.lastCompleted.setToCurrentTime();
    return swept.result;
  }

  private async sweepHoldingLock(signal: AbortSignal | undefined): Promise<CertificationSweepReportDto> {
    const startedAt = this.clock.now();
    const started = performance.now();
    const done: Record<Action, string[]> = { paused: [], suppressed: [], restored: [], reactivated: [] };

    const expired = (position: ExpiryPosition) => this.directory.expiredNeedingChange(startedAt, position, SWEEP_BATCH_SIZE);
    await this.eachBatch('expired', expired, signal, async (mentorIds) => {
      const paused = await this.statuses.changeWhereCurrent(
        mentorIds,
        { status: 'active' },
        { status: 'paused', reason: PAUSE_REASON, changedBy: SWEEP_ACTORS.pausedBy },
      );
      const suppressed = await this.suppressions.suppressWhereNoneActive(mentorIds, { coordinatorId: SWEEP_ACTORS.coordinatorId, reason: SUPPRESSION_REASON });
      done.paused.push(...paused);
      done.suppressed.push(...suppressed);
      return `paused ${paused.length}, suppressed ${suppressed.length}`;
    });

    const marks = { pausedBy: SWEEP_ACTORS.pausedBy, suppressedBy: SWEEP_ACTORS.coordinatorId, reason: SUPPRESSION_REASON };
    const renewed = (position: ExpiryPosition) => this.directory.renewedNeedingChange(startedAt, position, SWEEP_BATCH_SIZE, marks);
    await this.eachBatch('renewed', renewed, signal, async (mentorIds) => {
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
    });

    const totals = ACTIONS.map((action) => `${action} ${done[action].length}`).join(', ');
    const stopped = signal?.aborted ? ' (stopped early: shutting down)' : '';
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

  /**
   * Walks the candidates that `select` gives in (expiry, mentor_id) order, a batch at a time, and
   * hands each batch to `apply`. Every candidate is visited once per sweep, even one that `apply`
   * left unchanged (a concurrent edit made it moot), so the walk always ends.
   */
  private async eachBatch(
    kind: string,
    select: (position: ExpiryPosition) => Promise<{ mentor_id: string; certification_expires_at: Date }[]>,
    signal: AbortSignal | undefined,
    apply: (mentorIds: string[]) => Promise<string>,
  ): Promise<void> {
    let position: ExpiryPosition = { expiresAt: '-infinity', mentorId: '' };
    for (let batch = 1; !signal?.aborted; batch++) {
      const rows = await select(position);
      if (rows.length === 0) return;
      const outcome = await apply(rows.map((row) => row.mentor_id));
      this.logger.log(`${kind} batch ${batch}: ${rows.length} mentors, ${outcome}`);
      const last = rows[rows.length - 1];
      position = { expiresAt: last.certification_expires_at, mentorId: last.mentor_id };
      if (rows.length < SWEEP_BATCH_SIZE) return;
    }
  }
}
