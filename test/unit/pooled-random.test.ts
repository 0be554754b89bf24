import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pooledRandom } from '../../src/status/pooled-random.js';

describe('pooledRandom', () => {
  it('gives fractions in [0, 1) that reach every one of the 32 characters of an id, across refills of its pool', () => {
    const random = pooledRandom(16);
    const characters = new Set<number>();
    for (let i = 0; i < 4_000; i++) {
      const value = random();
      assert.ok(value >= 0 && value < 1, String(value));
      characters.add(Math.floor(value * 32));
    }
    assert.equal(characters.size, 32);
  });

  it('draws new bytes with every refill, and two generators draw their own', () => {
    const draw = (random: () => number) => Array.from({ length: 64 }, random);
    const one = pooledRandom(16);
    const first = draw(one);
    assert.notDeepEqual(draw(one), first);
    assert.notDeepEqual(draw(pooledRandom(16)), first);
  });
});
