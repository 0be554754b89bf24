import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { DatabaseUnavailableError, isRetryableTransactionFailure, QueryTimeoutError } from '../../src/common/errors/postgres-error.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const refused = (message: string, code: string) => Object.assign(new pg.DatabaseError(message, 0, 'error'), { code });

describe('isRetryableTransactionFailure', () => {
  it('is true where the server rolled the transaction back or its connection was lost', () => {
    for (const error of [
      refused('terminating connection due to administrator command', '57P01'),
      refused('terminating connection due to crash of another server process', '57P02'),
      refused('the database system is starting up', '57P03'),
      refused('connection failure', '08006'),
      refused('server conn crashed?', '08P01'),
      refused('cannot execute INSERT in a read-only transaction', '25006'),
      refused('could not serialize access due to concurrent update', '40001'),
      refused('deadlock detected', '40P01'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      assert.equal(isRetryableTransactionFailure(error), true, error.message);
    }
  });

  it('is false for a timeout, a known outage, and errors of the request or the code', () => {
    for (const error of [
      refused('canceling statement due to statement timeout', '57014'),
      new QueryTimeoutError(1500),
      new DatabaseUnavailableError('the primary database is not answering (fail-fast breaker open)'),
      refused('duplicate key value violates unique constraint', '23505'),
      refused('sorry, too many clients already', '53300'),
      new TypeError('cannot read properties of undefined'),
    ]) {
      assert.equal(isRetryableTransactionFailure(error), false, error.message);
    }
  });
});
