import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalContractPath } from '../../src/http/contract-paths.js';

describe('canonicalContractPath', () => {
  const cases: [string, string][] = [
    ['/api/v1/mentor-statuses/api/v1/mentor-statuses', '/api/v1/mentor-statuses'],
    ['/api/v1/mentor-statuses/api/v1/mentor-statuses/msr_1?x=1', '/api/v1/mentor-statuses/msr_1?x=1'],
    ['/api/v1/mentor-statuses/api/v1/chapters/chpt_03AZ/mentors/active', '/api/v1/chapters/chpt_03AZ/mentors/active'],
    ['/api/v1/mentor-suppressions/api/v1/mentor-suppressions/m1', '/api/v1/mentor-suppressions/m1'],
  ];
  for (const [doubled, canonical] of cases) {
    it(`folds ${doubled}`, () => assert.equal(canonicalContractPath(doubled), canonical));
  }

  for (const untouched of [
    '/api/v1/mentor-statuses',
    '/api/v1/mentor-statuses/msr_1',
    '/api/v1/mentor-statuses/api',
    '/api/v1/mentors/api/v1/mentors',
    '/health',
    '/prefix/api/v1/mentor-statuses/api/v1/mentor-statuses',
  ]) {
    it(`leaves ${untouched} alone`, () => assert.equal(canonicalContractPath(untouched), untouched));
  }
});
