import assert from 'node:assert/strict';
import { setImmediate as settle } from 'node:timers/promises';
import { describe, it } from 'node:test';
import pg from 'pg';
import { DatabaseUnavailableError, isDatabaseUnavailable, QueryTimeoutError } from '../../src/common/errors/postgres-error.js';
import { PrimaryBreaker } from '../../src/database/primary-breaker.js';

const PROBE_INTERVAL_MS = 250;
const refused = (message: string, code: string) => Object.assign(new pg.DatabaseError(message, 0, 'error'), { code });
const lost = () => new Error('Connection terminated unexpectedly');

/** A breaker whose probe answers as told (`probeAnswers`, one per probe) and whose time moves only when a test runs what is scheduled. */
function harness(suspectAfterMs?: number) {
  const probeAnswers: boolean[] = [];
  const scheduled: { callback: () => void; ms: number }[] = [];
  const logged: string[] = [];
  let probes = 0;
  const clock = { ms: 0 };
  const breaker = new PrimaryBreaker({
    now: () => clock.ms,
    probeIntervalMs: PROBE_INTERVAL_MS,
    suspectAfterMs,
    probe: () => {
      probes++;
      const answers = probeAnswers.shift();
      if (answers === undefined) return new Promise<void>(() => undefined);
      return answers ? Promise.resolve() : Promise.reject(new QueryTimeoutError(1000));
    },
    schedule: (callback, ms) => {
      const entry = { callback, ms };
      scheduled.push(entry);
      return () => scheduled.splice(scheduled.indexOf(entry), 1);
    },
    logger: { warn: (message: string) => logged.push(`warn: ${message}`), log: (message: string) => logged.push(`info: ${message}`) },
  });
  return {
    breaker,
    clock,
    probeAnswers,
    scheduled,
    logged,
    probes: () => probes,
    /** Runs the next scheduled probe, as its timer would. */
    tick: () => {
      const next = scheduled.shift();
      assert.ok(next, 'a probe is scheduled');
      assert.equal(next.ms, PROBE_INTERVAL_MS);
      next.callback();
    },
  };
}

describe('PrimaryBreaker', () => {
  it('stays closed when the probe contradicts a failure (a busy pool, one lost connection)', async () => {
    const { breaker, probeAnswers, probes, logged, scheduled } = harness();
    probeAnswers.push(true);
    breaker.failed(new Error('timeout exceeded when trying to connect'));
    await settle();
    assert.equal(probes(), 1);
    assert.equal(breaker.available, true);
    assert.doesNotThrow(() => breaker.admit());
    assert.deepEqual(logged, []);
    assert.deepEqual(scheduled, []);
  });

  it('opens when the probe confirms a failure, fails fast while open, probes on its interval and closes on the first answer', async () => {
    const { breaker, probeAnswers, probes, logged, scheduled, tick } = harness();
    probeAnswers.push(false);
    breaker.failed(new QueryTimeoutError(11_000));
    await settle();
    assert.equal(breaker.available, false);
    const error = (() => {
      try {
        breaker.admit();
      } catch (error) {
        return error;
      }
    })();
    assert.ok(error instanceof DatabaseUnavailableError, String(error));
    assert.ok(isDatabaseUnavailable(error), 'answered as a 503 with Retry-After');
    assert.match(error.message, /breaker open since: the database did not answer within 11000 ms/);
    assert.equal(logged.length, 1);
    assert.match(logged[0], /^warn: the primary database is not answering/);

    // Every request failing meanwhile neither logs nor probes more.
    for (let i = 0; i < 10; i++) breaker.failed(lost());
    breaker.failed(error);
    assert.equal(probes(), 1);
    assert.equal(scheduled.length, 1);

    probeAnswers.push(false);
    tick();
    await settle();
    assert.equal(probes(), 2);
    assert.equal(breaker.available, false);
    assert.equal(scheduled.length, 1, 'the next probe is scheduled');

    probeAnswers.push(true);
    tick();
    await settle();
    assert.equal(breaker.available, true);
    assert.doesNotThrow(() => breaker.admit());
    assert.deepEqual(scheduled, [], 'no probe while closed');
    assert.equal(logged.length, 2);
    assert.match(logged[1], /^info: the primary database answers again/);
  });

  it('ignores failures that do not say the primary is unreachable: a slow statement, a full server, errors of the request', async () => {
    const { breaker, probeAnswers, probes } = harness();
    probeAnswers.push(false);
    for (const error of [
      refused('canceling statement due to statement timeout', '57014'),
      refused('sorry, too many clients already', '53300'),
      refused('duplicate key value violates unique constraint', '23505'),
      new TypeError('cannot read properties of undefined'),
      new DatabaseUnavailableError('the breaker of another seam'),
    ]) {
      breaker.failed(error);
    }
    await settle();
    assert.equal(probes(), 0);
    assert.equal(breaker.available, true);
  });

  it('runs one probe at a time, however many failures arrive while it runs', async () => {
    const { breaker, probes } = harness();
    for (let i = 0; i < 5; i++) breaker.failed(lost());
    await settle();
    assert.equal(probes(), 1);
  });

  it('tells work waiting for a connection or an answer as it opens, and hands back what comes later', async () => {
    const { breaker, probeAnswers } = harness();
    let deliver!: (connection: string) => void;
    const abandoned: string[] = [];
    const waiting = breaker.race(new Promise<string>((resolve) => (deliver = resolve)), (connection) => abandoned.push(connection));
    let outcome: unknown = 'still waiting';
    waiting.then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    const answered = breaker.race(Promise.resolve('answer'));
    assert.equal(await answered, 'answer');

    probeAnswers.push(false);
    breaker.failed(refused('terminating connection due to administrator command', '57P01'));
    await settle();
    assert.ok(outcome instanceof DatabaseUnavailableError, `the waiting work was told: ${String(outcome)}`);
    deliver('connection 1');
    await settle();
    assert.deepEqual(abandoned, ['connection 1']);

    // While open, work is not awaited at all.
    await assert.rejects(
      breaker.race(Promise.resolve('connection 2'), (connection) => abandoned.push(connection)),
      DatabaseUnavailableError,
    );
    await settle();
    assert.deepEqual(abandoned, ['connection 1', 'connection 2']);
  });

  it('passes on the failure of work that fails before it opens', async () => {
    const { breaker } = harness();
    await assert.rejects(breaker.race(Promise.reject(lost())), /Connection terminated/);
  });

  it('stops probing once stopped', async () => {
    const { breaker, probeAnswers, scheduled } = harness();
    probeAnswers.push(false);
    breaker.failed(lost());
    await settle();
    assert.equal(scheduled.length, 1);
    breaker.stop();
    assert.deepEqual(scheduled, []);
  });

  it('has the probe look at work still waiting after suspectAfterMs, and again each suspectAfterMs without an answer, and fails the work once the probe confirms it', async () => {
    const SUSPECT_AFTER_MS = 500;
    const { breaker, clock, probeAnswers, probes, scheduled } = harness(SUSPECT_AFTER_MS);
    /** Moves the clock on and runs the suspicion that falls due, as its timer would. */
    const suspicionFallsDue = async () => {
      clock.ms += SUSPECT_AFTER_MS;
      const due = scheduled.shift();
      assert.equal(due?.ms, SUSPECT_AFTER_MS);
      due.callback();
      await settle();
    };
    // Work answered in time: its suspicion is cancelled, nothing is probed.
    assert.equal(await breaker.race(Promise.resolve('quick')), 'quick');
    assert.equal(scheduled.length, 0);

    // Waiting long (a lock wait): the probe answers, the work goes on; suspected again, it is probed again.
    const failureOf = (work: Promise<unknown>) =>
      work.then(
        () => assert.fail('the work was answered'),
        (error: unknown) => error,
      );
    const waiting = failureOf(breaker.race(new Promise<string>(() => undefined)));
    probeAnswers.push(true, true);
    await suspicionFallsDue();
    assert.equal(probes(), 1);
    await suspicionFallsDue();
    assert.equal(probes(), 2);
    assert.equal(breaker.available, true);
    // Others waiting at the same time share the probes: none within suspectAfterMs of an answer.
    const alsoWaiting = failureOf(breaker.race(new Promise<string>(() => undefined)));
    scheduled.pop()!.callback();
    await settle();
    assert.equal(probes(), 2);

    // The server vanished without a word: no failure ever comes, the next probe finds the primary gone.
    probeAnswers.push(false);
    await suspicionFallsDue();
    assert.equal(probes(), 3);
    assert.ok((await waiting) instanceof DatabaseUnavailableError);
    assert.ok((await alsoWaiting) instanceof DatabaseUnavailableError);
    assert.equal(breaker.available, false);
    // Only the probe's own interval stays scheduled: the work's suspicions ended with it.
    assert.deepEqual(
      scheduled.map((entry) => entry.ms),
      [PROBE_INTERVAL_MS],
    );
  });
});
