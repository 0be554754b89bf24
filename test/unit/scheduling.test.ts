import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../../src/common/config/app-config.js';
import { MetricsService } from '../../src/common/metrics/metrics.service.js';
import { inBatches } from '../../src/common/scheduling/batches.js';
import { ExclusiveJob, RunExclusively } from '../../src/common/scheduling/exclusive-job.js';
import { IntervalSchedule, ScheduledOutcome } from '../../src/common/scheduling/interval-schedule.js';

/** Runs that finish only when the test says how. */
class PendingRuns {
  readonly signals: AbortSignal[] = [];
  private readonly endings: ((outcome: ScheduledOutcome | Error) => void)[] = [];

  run(signal: AbortSignal): Promise<ScheduledOutcome> {
    this.signals.push(signal);
    return new Promise((resolve, reject) => this.endings.push((outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome))));
  }

  async end(outcome: ScheduledOutcome | Error = 'completed'): Promise<void> {
    this.endings.shift()?.(outcome);
    await new Promise(setImmediate);
  }
}

describe('IntervalSchedule', () => {
  let runs: PendingRuns;
  const schedule = (seconds: number) => new IntervalSchedule('Test', seconds, (signal) => runs.run(signal));

  before(() => Logger.overrideLogger(false));
  beforeEach(() => {
    runs = new PendingRuns();
    mock.timers.enable({ apis: ['setInterval'] });
  });
  afterEach(() => mock.timers.reset());

  it('never runs when the interval is 0', () => {
    schedule(0).start();
    mock.timers.tick(7 * 24 * 3600 * 1000);
    assert.equal(runs.signals.length, 0);
  });

  it('runs once per interval, the first one interval after start', async () => {
    schedule(60).start();
    mock.timers.tick(59_999);
    assert.equal(runs.signals.length, 0);
    mock.timers.tick(1);
    assert.equal(runs.signals.length, 1);
    await runs.end();
    mock.timers.tick(60_000);
    assert.equal(runs.signals.length, 2);
  });

  it('starts no second run while one is still running here', async () => {
    schedule(60).start();
    mock.timers.tick(60_000);
    mock.timers.tick(60_000);
    mock.timers.tick(60_000);
    assert.equal(runs.signals.length, 1);
    await runs.end();
    mock.timers.tick(60_000);
    assert.equal(runs.signals.length, 2);
  });

  it('keeps the schedule after a skipped or failed run', async () => {
    schedule(60).start();
    mock.timers.tick(60_000);
    await runs.end('skipped');
    mock.timers.tick(60_000);
    await runs.end(new Error('connection lost'));
    mock.timers.tick(60_000);
    assert.equal(runs.signals.length, 3);
  });

  it('on stop clears the timer, asks the running job to stop and waits for it', async () => {
    const running = schedule(60);
    running.start();
    mock.timers.tick(60_000);
    let stopped = false;
    const stopping = running.stop().then(() => (stopped = true));
    await new Promise(setImmediate);
    assert.equal(runs.signals[0].aborted, true);
    assert.equal(stopped, false, 'waits for the run under way');
    await runs.end();
    await stopping;
    mock.timers.tick(10 * 60_000);
    assert.equal(runs.signals.length, 1);
  });
});

describe('ExclusiveJob', () => {
  const setup = (exclusively: RunExclusively) => {
    const metrics = new MetricsService(loadConfig({ METRICS_PORT: '0' }));
    const job = new ExclusiveJob(metrics, { metricPrefix: 'test_job', runsAre: 'Test jobs', intervalVariable: 'TEST_SECONDS', actions: ['done'], exclusively });
    const value = async (name: string, labels: Record<string, string> = {}) =>
      (await metrics.registry.getSingleMetric(name)?.get())?.values.find((sample) =>
        Object.entries(labels).every(([key, label]) => sample.labels[key] === label),
      )?.value ?? 0;
    return { job, value };
  };
  const free: RunExclusively = async (work) => ({ result: await work(new AbortController().signal) });

  it('runs the work under the lock and counts the run, its changes and its completion', async () => {
    const { job, value } = setup(free);
    assert.equal(await job.run(async () => ({ result: 'report', changed: { done: 3 } })), 'report');
    assert.equal(await value('test_job_runs_total', { outcome: 'completed' }), 1);
    assert.equal(await value('test_job_changes_total', { action: 'done' }), 3);
    assert.ok((await value('test_job_last_completed_timestamp_seconds')) > 0);
  });

  it('skips the work while another holds the lock, and counts the skip', async () => {
    let ran = false;
    const { job, value } = setup(async () => undefined);
    const result = await job.run(async () => {
      ran = true;
      return { result: 'report', changed: { done: 1 } };
    });
    assert.equal(result, undefined);
    assert.equal(ran, false);
    assert.equal(await value('test_job_runs_total', { outcome: 'skipped' }), 1);
  });

  it('counts a failed run and passes its error on', async () => {
    const { job, value } = setup(free);
    await assert.rejects(
      job.run(() => Promise.reject(new Error('lost'))),
      /lost/,
    );
    assert.equal(await value('test_job_runs_total', { outcome: 'failed' }), 1);
    assert.equal(await value('test_job_runs_total', { outcome: 'completed' }), 0);
  });
});

describe('inBatches', () => {
  const walk = (rows: number[], size: number, signal?: AbortSignal, onBatch?: () => void) => {
    const batches: number[][] = [];
    const asked: (number | undefined)[] = [];
    const done = inBatches<number>({
      size,
      signal,
      next: async (last) => {
        asked.push(last);
        return rows.filter((row) => last === undefined || row > last).slice(0, size);
      },
      apply: async (batch) => {
        batches.push(batch);
        onBatch?.();
      },
    });
    return { batches, asked, done };
  };

  it('hands over every row once, a batch at a time, each batch after the last row of the one before', async () => {
    const { batches, asked, done } = walk([1, 2, 3, 4, 5], 2);
    await done;
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
    assert.deepEqual(asked, [undefined, 2, 4]);
  });

  it('asks once more after a full last batch, and ends on an empty one', async () => {
    const { batches, asked, done } = walk([1, 2, 3, 4], 2);
    await done;
    assert.deepEqual(batches, [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(asked, [undefined, 2, 4]);
  });

  it('stops between batches once the signal is aborted', async () => {
    const shutdown = new AbortController();
    const { batches, done } = walk([1, 2, 3, 4, 5], 2, shutdown.signal, () => shutdown.abort());
    await done;
    assert.deepEqual(batches, [[1, 2]]);
  });
});
