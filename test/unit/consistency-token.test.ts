import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { positionOf, RequestConsistency, tokenOf, type WalSource } from '../../src/database/consistency.js';

/** A server that says it stands at `at`, or fails; counts how often it was asked. */
function server(at: bigint | Error) {
  const source = {
    asked: 0,
    position: async (): Promise<bigint> => {
      source.asked += 1;
      if (at instanceof Error) throw at;
      return at;
    },
  } satisfies WalSource & { asked: number };
  return source;
}

describe('consistency tokens', () => {
  it('are 16 hex digits that order as their positions do, and nothing else is one', () => {
    assert.equal(tokenOf(0x16b374d848n), '00000016b374d848');
    assert.equal(positionOf('00000016b374d848'), 0x16b374d848n);
    const positions = [0n, 9n, 0xan, 0xffn, 0x1_0000_0000n, 0x16_b374_d848n, 2n ** 64n - 1n];
    const tokens = positions.map(tokenOf);
    assert.deepEqual([...tokens].sort(), tokens);
    for (const text of ['', '16/B374D848', '00000016B374D848', '16b374d848', '000000016b374d848', ' 0000016b374d848']) {
      assert.equal(positionOf(text), undefined, text);
    }
  });

  it('answer what bounds the commits and reads of the request: a read that ended before a COMMIT was sent is bounded by it, a later one is asked', async () => {
    const primary = server(500n);
    const replica = server(300n);
    const consistency = new RequestConsistency(undefined, primary);
    consistency.read(replica);
    consistency.read(primary);
    consistency.committed(consistency.committing(), 400n);
    assert.equal(await consistency.answer(true), tokenOf(400n));
    assert.deepEqual([primary.asked, replica.asked], [0, 0], 'the commit bounds both reads');

    const mark = consistency.committing();
    consistency.read(replica);
    consistency.committed(mark, 450n);
    assert.equal(await consistency.answer(true), tokenOf(450n), 'the greatest of the commit and what the replica says');
    assert.deepEqual([primary.asked, replica.asked], [0, 1], 'the read that ended after the COMMIT was sent is asked');
  });

  it('asks the primary for a replica that cannot say where it stands, and answers none when neither can', async () => {
    const replica = server(new Error('gone'));
    const answered = new RequestConsistency(undefined, server(700n));
    answered.read(replica);
    assert.equal(await answered.answer(true), tokenOf(700n));
    const unanswered = new RequestConsistency(undefined, server(new Error('down too')));
    unanswered.committed(unanswered.committing(), 100n);
    unanswered.read(replica);
    assert.equal(await unanswered.answer(true), undefined, 'a commit alone would not bound what the read saw');
  });

  it('answers no token for an unbounded read when it may not ask, and nothing for a request that wrote and read nothing', async () => {
    const primary = server(500n);
    const consistency = new RequestConsistency(positionOf('0000000000000100'), primary);
    assert.equal(consistency.wanted, 0x100n);
    assert.equal(await consistency.answer(true), undefined);
    consistency.read(primary);
    assert.equal(await consistency.answer(false), undefined);
    assert.equal(primary.asked, 0);
  });
});
