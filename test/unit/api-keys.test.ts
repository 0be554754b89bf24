import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchApiKey, parseApiKeys } from '../../src/common/auth/api-keys.js';

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
    assert.equal(matchApiKey(keys, KEY_A), 'frontend');
    assert.equal(matchApiKey(keys, KEY_B), 'sweeper');
    for (const wrong of ['', KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase(), 'frontend']) assert.equal(matchApiKey(keys, wrong), undefined, wrong);
  });

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
