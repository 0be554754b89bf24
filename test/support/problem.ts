import assert from 'node:assert/strict';
import type { Response } from 'supertest';

/** Asserts an RFC 9457 answer with this status, and (optionally) that `errors` names these fields. */
export function assertProblem(response: Response, status: number, fields?: string[]): void {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.body as Record<string, unknown>;
  assert.equal(body.status, status);
  for (const member of ['type', 'title', 'detail', 'instance']) {
    assert.equal(typeof body[member], 'string', `problem member ${member}`);
  }
  if (fields) {
    const named = (body.errors as { field: string }[] | undefined)?.map((error) => error.field) ?? [];
    assert.deepEqual([...new Set(named)].sort(), [...fields].sort());
  }
}

/** Twelve racing suppressions of one mentor: exactly one 201, and eleven 409s that each name the winner's suppression_id. */
export function assertOneSuppressionWon(answers: Response[]): Response {
  const winners = answers.filter((answer) => answer.status === 201);
  const losers = answers.filter((answer) => answer.status === 409);
  assert.equal(winners.length, 1);
  assert.equal(losers.length, 11);
  for (const loser of losers) {
    assertProblem(loser, 409);
    assert.equal(loser.body.suppression_id, winners[0].body.suppression_id);
  }
  return winners[0];
}
