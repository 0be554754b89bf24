import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, QueryTimeoutError } from '../../src/common/errors/postgres-error.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const failedQuery = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

describe('isDatabaseUnavailable', () => {
  it('is true for what a missing, stopping, overloaded or slow database gives', () => {
    for (const error of [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      failedQuery(withCode('canceling statement due to statement timeout', '57014')),
      failedQuery(withCode('terminating connection due to administrator command', '57P01')),
      failedQuery(withCode('the database system is starting up', '57P03')),
      failedQuery(withCode('sorry, too many clients already', '53300')),
      failedQuery(withCode('connection failure', '08006')),
      failedQuery(new Error('Connection terminated unexpectedly')),
      new Error('Connection terminated due to connection timeout'),
      new QueryTimeoutError(1500),
      failedQuery(new QueryTimeoutError(1500)),
      failedQuery(new Error('Client was closed and is not queryable')),
    ]) {
      assert.equal(isDatabaseUnavailable(error), true, error.message);
    }
  });

  it('is false for errors of the request or the code', () => {
    for (const error of [
      failedQuery(withCode('duplicate key value violates unique constraint', '23505')),
      failedQuery(withCode('syntax error at or near "x"', '42601')),
      new TypeError('cannot read properties of undefined'),
      'a string',
      undefined,
    ]) {
      assert.equal(isDatabaseUnavailable(error), false, String(error));
    }
  });
});
