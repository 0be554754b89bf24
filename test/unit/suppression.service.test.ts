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
