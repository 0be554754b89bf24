import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * Runs `work` while this instance holds the job's lock, or answers undefined when another session
 * holds it: `Sql.withSessionLockIfFree` bound to the job's `DatabaseLock`. `held` aborts if the lock
 * is lost (its session ended): the work must stop at its next step.
 */
export type RunExclusively = <T>(work: (held: AbortSignal) => Promise<T>) => Promise<{ result: T } | undefined>;

/** A run with nothing to do takes a fraction of a second; 50,000 changes take seconds. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface ExclusiveJobOptions<Action extends string> {
  /** The metrics are `<metricPrefix>_runs_total`, `_duration_seconds`, `_changes_total` and `_last_completed_timestamp_seconds`. */
  metricPrefix: string;
  /** What the runs are called in the metrics' help, in the plural: "Certification sweeps". */
  runsAre: string;
  /** The variable that sets the interval, for the help of the last-completed gauge. */
  intervalVariable: string;
  /** What a run does to a mentor, the labels of the changes counter. */
  actions: readonly Action[];
  exclusively: RunExclusively;
}

/**
 * A job that one instance at a time runs (the sweeps), measured the same way for each: runs by
 * outcome (`completed`, `skipped` because another instance was running it, `failed`), the duration
 * of completed runs, the mentors changed by action, and when the last run completed.
 */
export class ExclusiveJob<Action extends string> {
  private readonly runs: Counter<'outcome'>;
  private readonly duration: Histogram;
  private readonly changes: Counter<'action'>;
  private readonly lastCompleted: Gauge;

  constructor(
    metrics: MetricsService,
    private readonly options: ExclusiveJobOptions<Action>,
  ) {
    const { metricPrefix: prefix, runsAre } = options;
    this.runs = metrics.counter({
      name: `${prefix}_runs_total`,
      help: `${runsAre} this instance ran (scheduled or requested), by outcome: \`completed\`, \`skipped\` (another was running) or \`failed\`.`,
      labelNames: ['outcome'],
    });
    this.duration = metrics.histogram({ name: `${prefix}_duration_seconds`, help: 'Time a completed run took.', buckets: DURATION_BUCKETS });
    this.changes = metrics.counter({
      name: `${prefix}_changes_total`,
      help: `Mentors the runs changed, by action: ${options.actions.map((action) => `\`${action}\``).join(', ')}.`,
      labelNames: ['action'],
    });
    this.lastCompleted = metrics.gauge({
      name: `${prefix}_last_completed_timestamp_seconds`,
      help: `When the last run of this instance completed (Unix time); alert when it falls far behind ${options.intervalVariable}.`,
    });
  }

  /**
   * One run of `work` under the lock; undefined when another instance holds it (nothing was done).
   * The signal `work` gets aborts on `stop` (shutdown) or when the lock is lost: it stops between
   * batches either way, and a run whose lock was lost fails.
   */
  async run<Result>(
    work: (stop: AbortSignal) => Promise<{ result: Result; changed: Record<Action, number> }>,
    stop?: AbortSignal,
  ): Promise<Result | undefined> {
    const started = performance.now();
    const ran = await this.options
      .exclusively((held) => work(stop ? AbortSignal.any([stop, held]) : held))
      .catch((error: unknown) => {
        this.runs.inc({ outcome: 'failed' });
        throw error;
      });
    if (!ran) {
      this.runs.inc({ outcome: 'skipped' });
      return undefined;
    }
    this.runs.inc({ outcome: 'completed' });
    this.duration.observe((performance.now() - started) / 1000);
    for (const action of this.options.actions) this.changes.inc({ action }, ran.result.changed[action]);
    this.lastCompleted.setToCurrentTime();
    return ran.result.result;
  }
}
