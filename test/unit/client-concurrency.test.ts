import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { FastifyInstance } from 'fastify';
import { limitConcurrencyPerClient, wasRefusedForConcurrency } from '../../src/common/http/client-concurrency.js';
import { waitUntil } from '../support/poll.js';

/** A real Fastify server whose one route waits until the test lets it finish, counting arrivals and entries. */
describe('limitConcurrencyPerClient', () => {
  let fastify: FastifyInstance;
  let port: number;
  const refusals: boolean[] = [];
  let arrived = 0;
  let running = 0;
  let entered = 0;
  let finish: () => void = () => undefined;
  let gate = Promise.resolve();
  const closeGate = () => {
    gate = new Promise<void>((resolve) => (finish = resolve));
  };

  before(async () => {
    fastify = Fastify();
    fastify.addHook('onRequest', async () => {
      arrived += 1;
    });
    limitConcurrencyPerClient(fastify, 2);
    fastify.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode === 429) refusals.push(wasRefusedForConcurrency(request));
    });
    fastify.get('/work', async () => {
      running += 1;
      entered += 1;
      await gate;
      running -= 1;
      return { ok: true };
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    port = (fastify.server.address() as AddressInfo).port;
  });
  after(() => fastify.close());

  const get = () =>
    new Promise<number>((resolve, reject) => {
      const sent = request({ host: '127.0.0.1', port, path: '/work' }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      sent.on('error', reject);
      sent.end();
    });

  it('frees the place of a request whose client went away while it waited, and does not run it', async () => {
    closeGate();
    const first = [get(), get()];
    await waitUntil(() => running === 2, 'two requests run');
    const abandoned = request({ host: '127.0.0.1', port, path: '/work' });
    abandoned.on('error', () => undefined);
    abandoned.end();
    await waitUntil(() => arrived === 3, 'the third request waits for a place');
    abandoned.destroy();
    const connections = () =>
      new Promise<number>((resolve, reject) => fastify.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    await waitUntil(async () => (await connections()) === 2, 'the server sees the third client go');
    finish();
    assert.deepEqual(await Promise.all(first), [200, 200]);
    await waitUntil(() => running === 0, 'the first two are done');
    assert.equal(entered, 2, 'the abandoned request never reached its handler');
    // Had the abandoned request kept its place, only one of these two could run at once.
    closeGate();
    const second = [get(), get()];
    await waitUntil(() => running === 2, 'both places are free again');
    finish();
    assert.deepEqual(await Promise.all(second), [200, 200]);
  });

  it("refuses with 429 once 256 requests of the client wait, and marks the refusal as this limit's (for the metrics)", async () => {
    closeGate();
    const before = arrived;
    const admitted = Array.from({ length: 2 + 256 }, () => get());
    await waitUntil(() => arrived - before === 258, 'two requests run and 256 wait');
    assert.equal(await get(), 429);
    assert.deepEqual(refusals, [true]);
    finish();
    assert.ok((await Promise.all(admitted)).every((status) => status === 200));
  });
});
