import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
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

/** Any fixed number other than the migration lock's: every instance takes this one before sweeping. */
export const SWEEP_LOCK_KEY = 802_114_008;
/** Mentors per write; each status batch holds this many advisory locks in one transaction. */
export const SWEEP_BATCH_SIZE = 500;

/** Each mentor's latest live status record (or nulls), for the candidate queries below. */
const CURRENT_STATUS = `
  LEFT JOIN LATERAL (
    SELECT r.status, r.changed_by FROM mentor_status_records r
    WHERE r.mentor_id = m.mentor_id AND r.deleted_at IS NULL
    ORDER BY r.changed_at DESC, r.id DESC
    LIMIT 1
  ) current ON true`;

/** Where a batch query resumes: after this (expiry, mentor) in the order of mentors_certification_expiry_idx. */
interface Cursor {
  expiresAt: Date | '-infinity';
  mentorId: string;
}

interface CandidateRow {
  mentor_id: string;
  expires_at: Date;
}

type Action = 'paused' | 'suppressed' | 'restored' | 'reactivated';

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
  /** Expired mentors that are active, or not suppressed: the ones the expiry rules would change. */
  private readonly expiredCandidates: string;
  /** Renewed mentors that carry the sweep's pause or suppression. */
  private readonly renewedCandidates: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly statuses: StatusService,
    private readonly suppressions: SuppressionService,
  ) {
    this.expiredCandidates = `
      SELECT m.mentor_id, m.certification_expires_at AS expires_at
      FROM mentors m ${CURRENT_STATUS}
      WHERE m.certification_expires_at <= $1
        AND (m.certification_expires_at, m.mentor_id) > ($2::timestamptz, $3::varchar)
        AND (current.status = 'active' OR NOT ${suppressions.activeSuppressionCondition('m.mentor_id')})
      ORDER BY m.certification_expires_at, m.mentor_id
      LIMIT $4`;
    this.renewedCandidates = `
      SELECT m.mentor_id, m.certification_expires_at AS expires_at
      FROM mentors m ${CURRENT_STATUS}
      WHERE m.certification_expires_at > $1
        AND (m.certification_expires_at, m.mentor_id) > ($2::timestamptz, $3::varchar)
        AND (
          (current.status = 'paused' AND current.changed_by = $5)
          OR EXISTS (
            SELECT 1 FROM mentor_suppressions s
            WHERE s.mentor_id = m.mentor_id AND s.is_active AND s.coordinator_id = $6 AND s.reason = $7
          )
        )
      ORDER BY m.certification_expires_at, m.mentor_id
      LIMIT $4`;
  }

  /**
   * One sweep across all mentors, as of the clock's now. Only one runs at a time across every
   * instance (a session advisory lock); while another holds it this one is refused (409) rather
   * than queued. Safe to repeat: a mentor already in the intended state is not touched again.
   * `signal` stops it between batches (shutdown); what is done stays done, the next sweep continues.
   */
  async sweep(signal?: AbortSignal): Promise<CertificationSweepReportDto> {
    const lockHolder = this.dataSource.createQueryRunner();
    await lockHolder.connect();
    try {
      const [{ locked }]: { locked: boolean }[] = await lockHolder.query('SELECT pg_try_advisory_lock($1) AS locked', [SWEEP_LOCK_KEY]);
      if (!locked) throw new CertificationSweepRunningProblem();
      try {
        return await this.sweepHoldingLock(signal);
      } finally {
        await lockHolder.query('SELECT pg_advisory_unlock($1)', [SWEEP_LOCK_KEY]);
      }
    } finally {
      await lockHolder.release();
    }
  }

  private async sweepHoldingLock(signal: AbortSignal | undefined): Promise<CertificationSweepReportDto> {
    const startedAt = this.clock.now();
    const started = performance.now();
    const done: Record<Action, string[]> = { paused: [], suppressed: [], restored: [], reactivated: [] };

    await this.eachBatch('expired', this.expiredCandidates, [], startedAt, signal, async (mentorIds) => {
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

    const renewedParams = [SWEEP_ACTORS.pausedBy, SWEEP_ACTORS.coordinatorId, SUPPRESSION_REASON];
    await this.eachBatch('renewed', this.renewedCandidates, renewedParams, startedAt, signal, async (mentorIds) => {
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

    const totals = (Object.keys(done) as Action[]).map((action) => `${action} ${done[action].length}`).join(', ');
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
   * Walks the candidates of `select` in (expiry, mentor_id) order, a batch at a time, and hands
   * each batch to `apply`. Every candidate is visited once per sweep, even one that `apply` left
   * unchanged (a concurrent edit made it moot), so the walk always ends.
   */
  private async eachBatch(
    kind: string,
    select: string,
    extraParams: string[],
    now: Date,
    signal: AbortSignal | undefined,
    apply: (mentorIds: string[]) => Promise<string>,
  ): Promise<void> {
    let cursor: Cursor = { expiresAt: '-infinity', mentorId: '' };
    for (let batch = 1; !signal?.aborted; batch++) {
      const rows: CandidateRow[] = await this.dataSource.query(select, [now, cursor.expiresAt, cursor.mentorId, SWEEP_BATCH_SIZE, ...extraParams]);
      if (rows.length === 0) return;
      const outcome = await apply(rows.map((row) => row.mentor_id));
      this.logger.log(`${kind} batch ${batch}: ${rows.length} mentors, ${outcome}`);
      const last = rows[rows.length - 1];
      cursor = { expiresAt: last.expires_at, mentorId: last.mentor_id };
      if (rows.length < SWEEP_BATCH_SIZE) return;
    }
  }
}
