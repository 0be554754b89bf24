import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { DatabaseUnavailableError, isDatabaseUnavailable, QueryTimeoutError } from '../../src/common/errors/postgres-error.js';

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
    ]) {
      assert.equal(isDatabaseUnavailable(error), true, error.message);
    }
  });

  it('is false for errors of the request or the code', () => {
    for (const error of [
      refused('duplicate key value violates unique constraint', '23505'),
      refused('syntax error at or near "x"', '42601'),
      new TypeError('cannot read properties of undefined'),
      'a string',
      undefined,
    ]) {
      assert.equal(isDatabaseUnavailable(error), false, String(error));
    }
  });
});
