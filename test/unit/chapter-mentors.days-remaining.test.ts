import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daysRemaining } from '../../src/chapter-mentors/chapter-mentors.service.js';

describe('daysRemaining', () => {
  const now = new Date('2030-06-01T12:00:00.000Z');
  const after = (milliseconds: number) => new Date(now.getTime() + milliseconds);
  const DAY = 24 * 60 * 60 * 1000;

  for (const [what, offset, days] of [
    ['a millisecond', 1, 1],
    ['just under a day', DAY - 1, 1],
    ['exactly a day', DAY, 1],
    ['a day and a millisecond', DAY + 1, 2],
    ['exactly 30 days', 30 * DAY, 30],
  ] as const) {
    it(`counts ${what} from now as ${days}`, () => {
      assert.equal(daysRemaining(after(offset), now), days);
    });
  }
});
