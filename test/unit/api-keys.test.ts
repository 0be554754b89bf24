import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_SCOPES, matchApiKey, parseApiKeys } from '../../src/common/auth/api-keys.js';

const KEY_A = 'frontend-key-0123456789';
const KEY_B = 'sweeper.key~0123456789+/=';

describe('API keys', () => {
  it('parses named keys, trimming spaces, and holds only their digests', () => {
    const keys = parseApiKeys(` frontend:${KEY_A} , sweeper:${KEY_B}`);
    assert.deepEqual(
      keys.map((key) => key.name),
      ['frontend', 'sweeper'],
    );
    for (const key of keys) {
      assert.equal(key.digest.length, 32);
      assert.ok(!JSON.stringify(key).includes(KEY_A) && !JSON.stringify(key).includes(KEY_B));
    }
  });

  it('matches a presented key to its name, and nothing else', () => {
    const keys = parseApiKeys(`frontend:${KEY_A},sweeper:${KEY_B}`);
    assert.equal(matchApiKey(keys, KEY_A)?.name, 'frontend');
    assert.equal(matchApiKey(keys, KEY_B)?.name, 'sweeper');
    for (const wrong of ['', KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase(), 'frontend']) assert.equal(matchApiKey(keys, wrong), undefined, wrong);
  });

  it('gives a key exactly the scopes after its second colon, and every scope when there are none', () => {
    const keys = parseApiKeys(`frontend:${KEY_A}:statuses:write+suppressions:write, sweeper:${KEY_B}: admin , all:${KEY_A}x`);
    assert.deepEqual(
      keys.map((key) => [key.name, [...key.scopes].sort()]),
      [
        ['frontend', ['statuses:write', 'suppressions:write']],
        ['sweeper', ['admin']],
        ['all', [...API_SCOPES].sort()],
      ],
    );
    // The key of an entry with scopes is only what lies between the first two colons.
    assert.equal(matchApiKey(keys, KEY_A)?.name, 'frontend');
    assert.equal(matchApiKey(keys, KEY_B)?.name, 'sweeper');
  });

  for (const [label, value, expected] of [
    [
      'an unknown scope',
      `frontend:${KEY_A}:statuses:write+statuses:read`,
      /entry 1 \(frontend\) names an unknown scope \("statuses:read"\); scopes are statuses:write, suppressions:write, mentors:write, admin, joined by \+/,
    ],
    ['a short unknown scope', `frontend:${KEY_A}:write`, /names an unknown scope \("write"\)/],
    ['text as long as a key where a scope should be', `frontend:${KEY_A}:${KEY_B}`, /entry 1 \(frontend\) names an unknown scope \(number 1\)/],
    ['an empty scope list', `frontend:${KEY_A}:`, /entry 1 \(frontend\) has an empty scope after its key/],
    ['an empty scope between two', `frontend:${KEY_A}:admin++mentors:write`, /has an empty scope/],
    ['a key with the scopes in front of it', `frontend:admin:${KEY_A}`, /entry 1 \(frontend\) needs a key of 16 to 256/],
  ] as const) {
    it(`refuses ${label} at boot, without repeating any key`, () => {
      assert.throws(
        () => parseApiKeys(value),
        (error: Error) => expected.test(error.message) && !error.message.includes(KEY_A) && !error.message.includes(KEY_B),
      );
    });
  }

  for (const [label, value, expected] of [
    ['an entry without a colon', KEY_A, /entry 1 must be name:key/],
    ['an empty name', `:${KEY_A}`, /entry 1 must be name:key/],
    ['a name with spaces', `front end:${KEY_A}`, /entry 1 must be name:key/],
    ['a key shorter than 16 characters', 'frontend:short-key', /entry 1 \(frontend\) needs a key of 16 to 256/],
    ['a key with a space', 'frontend:has a space in the key', /needs a key/],
    ['an empty entry', `frontend:${KEY_A},`, /entry 2 must be name:key/],
    ['a repeated name', `a:${KEY_A},a:${KEY_B}`, /names a twice/],
    ['a repeated key', `a:${KEY_A},b:${KEY_A}`, /entry 2 \(b\) repeats the key/],
  ] as const) {
    it(`refuses ${label}, without repeating any key in the message`, () => {
      assert.throws(
        () => parseApiKeys(value),
        (error: Error) => expected.test(error.message) && !error.message.includes(KEY_A) && !error.message.includes('short-key'),
      );
    });
  }
});
