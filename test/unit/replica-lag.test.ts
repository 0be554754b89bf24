import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLsn, replayLag, type WalSample } from '../../src/database/replica-router.js';

describe('replica lag from WAL positions', () => {
  it('reads an LSN as a number of bytes', () => {
    assert.equal(parseLsn('0/0'), 0n);
    assert.equal(parseLsn('0/16B3748'), 0x16b3748n);
    assert.equal(parseLsn('16/B374D848'), (0x16n << 32n) + 0xb374d848n);
  });

  const samples: WalSample[] = [
    { lsn: 1000n, at: 0 },
    { lsn: 2000n, at: 500 },
    { lsn: 2000n, at: 1000 },
    { lsn: 4000n, at: 1500 },
  ];

  it('is zero for a replica that has replayed the latest position, however long the primary has been idle', () => {
    assert.equal(replayLag(samples, 4000n, 60_000), 0);
    assert.equal(replayLag(samples, 4100n, 1500), 0);
    assert.equal(replayLag([{ lsn: 5n, at: 0 }], 5n, 3_600_000), 0);
  });

  it('is the age of the first write the replica has not replayed, the primary writing at an even pace between samples', () => {
    // Position 2000 was reached by 500 and nothing more was written until after 1000: what is missing was written after 1000.
    assert.equal(replayLag(samples, 2000n, 1600), 600);
    // Half-way between 2000 (at 1000) and 4000 (at 1500).
    assert.equal(replayLag(samples, 3000n, 1600), 350);
    assert.equal(replayLag(samples, 1500n, 1600), 1350);
  });

  it('is at least the age of the oldest sample for a replica behind all of them', () => {
    assert.equal(replayLag(samples, 10n, 2000), 2000);
  });

  it('is zero before anything was sampled', () => {
    assert.equal(replayLag([], 10n, 2000), 0);
  });
});
