import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { TrustProxy } from '../config/app-config.js';

/**
 * TRUST_PROXY as Fastify's `trustProxy`. Fastify itself ignores a hop count (it cannot tell the
 * proxy from a client that sends X-Forwarded-For of its own), so a count becomes "trust the N
 * nearest hops", as proxy-addr counts them: only safe where clients cannot reach the service but
 * through those proxies. A list of addresses has no such condition.
 */
export function trustedProxies(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust;
}

const addresses = new WeakMap<IncomingMessage, string>();

/**
 * Keeps each request's client address as Fastify gives it (`request.ip`: with TRUST_PROXY, the
 * address a trusted proxy forwarded) for the request's log line, which is written from the raw
 * request (see logRequests).
 */
export function recordClientAddresses(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    addresses.set(request.raw, request.ip);
    done();
  });
}

export function clientAddressOf(request: IncomingMessage): string | undefined {
  return addresses.get(request);
}
