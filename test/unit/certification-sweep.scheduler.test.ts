import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import { Logger } from '@nestjs/common';
import { CertificationSweepRunningProblem } from '../../src/certification/certification-sweep-running.problem.js';
import { CertificationSweepScheduler } from '../../src/certification/certification-sweep.scheduler.js';
import type { CertificationSweepService } from '../../src/certification/certification-sweep.service.js';
import { loadConfig } from '../../src/common/config/app-config.js';

/** Sweeps that finish only when the test says how. */
class PendingSweeps {
  readonly signals: AbortSignal[] = [];
  private readonly endings: ((outcome: unknown) => void)[] = [];

  sweep(signal: AbortSignal): Promise<void> {
    this.signals.push(signal);
    return new Promise((resolve, reject) => this.endings.push((outcome) => (outcome instanceof Error ? reject(outcome) : resolve())));
  }

  async end(outcome?: Error): Promise<void> {
    this.endings.shift()?.(outcome);
    await new Promise(setImmediate);
  }
}

describe('CertificationSweepScheduler', () => {
  let sweeps: PendingSweeps;
  const scheduler = (seconds: number) =>
    new CertificationSweepScheduler(loadConfig({ CERT_SWEEP_INTERVAL_SECONDS: String(seconds) }), sweeps as unknown as CertificationSweepService);

  before(() => Logger.overrideLogger(false));
  beforeEach(() => {
    sweeps = new PendingSweeps();
    mock.timers.enable({ apis: ['setInterval'] });
  });
  afterEach(() => mock.timers.reset());

  it('never sweeps when the interval is 0', () => {
    scheduler(0).onApplicationBootstrap();
    mock.timers.tick(7 * 24 * 3600 * 1000);
    assert.equal(sweeps.signals.length, 0);
  });

  it('sweeps once per interval, the first one interval after start', async () => {
    scheduler(60).onApplicationBootstrap();
    mock.timers.tick(59_999);
    assert.equal(sweeps.signals.length, 0);
    mock.timers.tick(1);
    assert.equal(sweeps.signals.length, 1);
    await sweeps.end();
    mock.timers.tick(60_000);
    assert.equal(sweeps.signals.length, 2);
  });

  it('starts no second sweep while one is still running here', async () => {
    scheduler(60).onApplicationBootstrap();
    mock.timers.tick(60_000);
    mock.timers.tick(60_000);
    mock.timers.tick(60_000);
    assert.equal(sweeps.signals.length, 1);
    await sweeps.end();
    mock.timers.tick(60_000);
    assert.equal(sweeps.signals.length, 2);
  });

  it('keeps the schedule after a skipped or failed sweep', async () => {
    scheduler(60).onApplicationBootstrap();
    mock.timers.tick(60_000);
    await sweeps.end(new CertificationSweepRunningProblem());
    mock.timers.tick(60_000);
    await sweeps.end(new Error('connection lost'));
    mock.timers.tick(60_000);
    assert.equal(sweeps.signals.length, 3);
  });

  it('on shutdown stops the timer, asks the running sweep to stop and waits for it', async () => {
    const running = scheduler(60);
    running.onApplicationBootstrap();
    mock.timers.tick(60_000);
    let stopped = false;
    const shutdown = running.beforeApplicationShutdown().then(() => (stopped = true));
    await new Promise(setImmediate);
    assert.equal(sweeps.signals[0].aborted, true);
    assert.equal(stopped, false, 'waits for the sweep under way');
    await sweeps.end();
    await shutdown;
    mock.timers.tick(10 * 60_000);
    assert.equal(sweeps.signals.length, 1);
  });
});
