import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemException } from '../errors/problem.exception.js';

/** Requests one client may have waiting for a slot; beyond it, 429 at once. */
const QUEUE_PER_CLIENT = 256;
const UNLIMITED_PATHS = new Set(['/health', '/health/live', '/health/ready']);

const refused = new WeakSet<FastifyRequest>();

/** Whether this request got its 429 from the per-client concurrency limit (rather than the rate limit). */
export function wasRefusedForConcurrency(request: FastifyRequest): boolean {
  return refused.has(request);
}

interface ClientSlots {
  running: number;
  waiting: (() => void)[];
}

/**
 * At most `limit` requests of one client address run at a time; the client's further requests
 * wait their turn in a queue of its own. So one client, however many connections it opens, holds
 * at most `limit` of the pool's connections, and everyone else's requests still find one: without
 * this, 24 connections asking for the costliest list page put every other client's cheap reads
 * behind them (`npm run bench -- --limits`). Health checks and probes are never queued.
 */
export function limitConcurrencyPerClient(fastify: FastifyInstance, limit: number): void {
  if (limit === 0) return;
  const clients = new Map<string, ClientSlots>();
  const release = (key: string, slots: ClientSlots) => {
    const next = slots.waiting.shift();
    if (next) return next();
    slots.running -= 1;
    if (slots.running === 0) clients.delete(key);
  };
  fastify.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (UNLIMITED_PATHS.has(request.url)) return;
    const key = request.ip;
    let slots = clients.get(key);
    if (!slots) clients.set(key, (slots = { running: 0, waiting: [] }));
    if (slots.running < limit) {
      slots.running += 1;
    } else {
      if (slots.waiting.length >= QUEUE_PER_CLIENT) {
        refused.add(request);
        void reply.header('retry-after', '1');
        throw new ProblemException(429, `Too many requests at once from this client: at most ${limit} run at a time and ${QUEUE_PER_CLIENT} wait.`, {
          type: '/problems/too-many-concurrent-requests',
        });
      }
      const granted = slots;
      await new Promise<void>((resolve) => granted.waiting.push(resolve));
    }
    const held = slots;
    if (request.raw.socket.destroyed) {
      // The client went away while it waited: nothing is left to answer, so nothing runs.
      release(key, held);
      reply.hijack();
      return;
    }
    // 'close' comes whether the answer was sent or the client went away first.
    reply.raw.once('close', () => release(key, held));
  });
}
