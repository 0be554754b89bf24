import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProblemException } from '../../src/common/errors/problem.exception.js';
import { assertIfMatch, etagOf } from '../../src/common/http/etag.js';

const current = { mentor_id: 'mntr_1', full_name: 'Sarah Chen' };
const preconditionFailed = (error: unknown) => error instanceof ProblemException && error.getStatus() === 412;

describe('ETag and If-Match', () => {
  it('an ETag is a strong tag of exactly the JSON: same JSON, same tag; any change, another', () => {
    assert.match(etagOf(current), /^"[A-Za-z0-9_-]{32}"$/);
    assert.equal(etagOf({ ...current }), etagOf(current));
    assert.notEqual(etagOf({ ...current, full_name: 'Sarah Chen ' }), etagOf(current));
    assert.notEqual(etagOf({ full_name: 'Sarah Chen', mentor_id: 'mntr_1' }), etagOf(current), 'property order is part of the JSON sent');
  });

  it('passes without If-Match, with the current tag, with it in a list, and with * on an existing resource', () => {
    for (const ifMatch of [undefined, etagOf(current), `"stale", ${etagOf(current)}`, `${etagOf(current)},"stale"`, '*']) assertIfMatch(ifMatch, current);
  });

  it('fails with 412 on a stale tag, a weak tag, garbage, or any tag when there is no resource', () => {
    for (const ifMatch of ['"stale"', `W/${etagOf(current)}`, etagOf(current).slice(1, -1), '', ' , ']) {
      assert.throws(() => assertIfMatch(ifMatch, current), preconditionFailed, ifMatch);
    }
    for (const ifMatch of ['*', etagOf(current)]) assert.throws(() => assertIfMatch(ifMatch, undefined), preconditionFailed, ifMatch);
    assertIfMatch(undefined, undefined);
  });
});
