import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { DatabaseUnavailableError, endsSession, isDatabaseUnavailable, QueryTimeoutError } from '../../src/common/errors/postgres-error.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
/** What the server refuses a statement with, as pg raises it. */
const refused = (message: string, code: string) => Object.assign(new pg.DatabaseError(message, 0, 'error'), { code });

describe('isDatabaseUnavailable', () => {
  it('is true for what a missing, stopping, overloaded or slow database gives', () => {
    for (const error of [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      refused('canceling statement due to statement timeout', '57014'),
      refused('terminating connection due to administrator command', '57P01'),
      refused('the database system is starting up', '57P03'),
      refused('sorry, too many clients already', '53300'),
      refused('connection failure', '08006'),
      new Error('Connection terminated due to connection timeout'),
      new QueryTimeoutError(1500),
      new Error('Client was closed and is not queryable'),
      new DatabaseUnavailableError('the primary database is not answering (fail-fast breaker open)'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      refused('terminating connection due to immediate shutdown command', '57P01'),
      // PgBouncer, when the server behind it goes, and while it cannot log in to one.
      refused('server conn crashed?', '08P01'),
      refused('server login has been failing, try again later (server_login_retry)', '08P01'),
      // A session left on a primary that has been demoted to a standby by a failover.
      refused('cannot execute INSERT in a read-only transaction', '25006'),
      new QueryRunnerAlreadyReleasedError(),
      new QueryRunnerProviderAlreadyReleasedError(),
      new Error('the connection failed', { cause: new Error('Connection terminated unexpectedly') }),
    ]) {
      assert.equal(isDatabaseUnavailable(error), true, error.message);
    }
  });

  it('is false for errors of the request or the code', () => {
    for (const error of [
      refused('duplicate key value violates unique constraint', '23505'),
      refused('syntax error at or near "x"', '42601'),
      new TypeError('cannot read properties of undefined'),
      new Error('wrapped', { cause: refused('duplicate key value violates unique constraint', '23505') }),
      'a string',
      undefined,
    ]) {
      assert.equal(isDatabaseUnavailable(error), false, String(error));
    }
  });

  it('tells a refusal that ends the session (its connection must not be lent again) from one of a statement', () => {
    for (const code of ['57P01', '57P02', '08P01', '08006', '25006']) assert.equal(endsSession(refused('refused', code)), true, code);
    for (const code of ['57014', '23505', '40001', '53300']) assert.equal(endsSession(refused('refused', code)), false, code);
    assert.equal(endsSession(new Error('Connection terminated unexpectedly')), false, 'only what the server said; a lost socket breaks the connection anyway');
  });
});
