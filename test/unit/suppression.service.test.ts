import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SuppressionService } from '../../src/suppression/suppression.service.js';

describe('SuppressionService.activeSuppressionCondition', () => {
  // The condition touches neither the repository nor the mentors service.
  const service = new SuppressionService(undefined as never, undefined as never);

  it('builds an EXISTS over the active suppressions of the given column', () => {
    assert.equal(
      service.activeSuppressionCondition('m.mentor_id'),
      'EXISTS (SELECT 1 FROM mentor_suppressions active_suppression WHERE active_suppression.mentor_id = m.mentor_id AND active_suppression.is_active)',
    );
  });

  it('accepts bare and quoted column references', () => {
    assert.match(service.activeSuppressionCondition('mentor_id'), /= mentor_id AND/);
    assert.match(service.activeSuppressionCondition('"profile"."mentor_id"'), /= "profile"\."mentor_id" AND/);
  });

  for (const unsafe of ['', 'm.mentor_id) OR (true', 'm.mentor_id; DROP TABLE mentors', '"m.mentor_id', 'a.b.c', '1m']) {
    it(`refuses ${JSON.stringify(unsafe)}`, () => {
      assert.throws(() => service.activeSuppressionCondition(unsafe), /not a column reference/);
    });
  }
});

describe('SuppressionService.activeSuppressionJoin', () => {
  const service = new SuppressionService(undefined as never, undefined as never);

  it('joins the active suppression of the given column and tests for it', () => {
    assert.deepEqual(service.activeSuppressionJoin('c.mentor_id'), {
      join: 'LEFT JOIN mentor_suppressions active_suppression ON active_suppression.mentor_id = c.mentor_id AND active_suppression.is_active',
      isSuppressed: 'active_suppression.mentor_id IS NOT NULL',
    });
  });

  for (const unsafe of ['', 'c.mentor_id AND true', 'c.mentor_id; DROP TABLE mentors']) {
    it(`refuses ${JSON.stringify(unsafe)}`, () => {
      assert.throws(() => service.activeSuppressionJoin(unsafe), /not a column reference/);
    });
  }
});
