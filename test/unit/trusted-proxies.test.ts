import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trustedProxies } from '../../src/common/http/client-address.js';

describe('trustedProxies', () => {
  it('trusts no one by default', () => {
    assert.equal(trustedProxies(false), false);
  });

  it('passes addresses and ranges on to Fastify as they are', () => {
    assert.deepEqual(trustedProxies(['10.0.0.0/8', '::1']), ['10.0.0.0/8', '::1']);
  });

  it('turns a hop count into "trust the N nearest hops", which Fastify no longer does for a number', () => {
    const trust = trustedProxies(2);
    assert.equal(typeof trust, 'function');
    const trusts = trust as (address: string, hop: number) => boolean;
    assert.deepEqual(
      [0, 1, 2, 3].map((hop) => trusts('203.0.113.9', hop)),
      [true, true, false, false],
    );
  });
});
