import type { FastifyInstance } from 'fastify';
import { wasRefusedForConcurrency } from '../http/client-concurrency.js';
import { LATENCY_BUCKETS, MetricsService } from './metrics.service.js';

/** The route label of requests that match no route: one value, however many URLs are tried. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Per request, one histogram observation when its answer is sent, labelled by the route's
 * template (`/api/v1/mentors/:mentor_id`, never the URL, so the labels stay few), method and
 * status; requests being handled now; and the 429s, by the limit that refused them. The duration
 * is Fastify's own reply clock, which starts as the request arrives, so waiting in the per-client
 * queue counts. A request whose client left before its answer has no status and is not observed.
 */
export function measureRequests(fastify: FastifyInstance, metrics: MetricsService): void {
  if (!metrics.enabled) return;
  const duration = metrics.histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Time from the arrival of a request to its answer, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS,
  });
  const active = metrics.gauge({ name: 'http_server_active_requests', help: 'Requests received and not yet answered or abandoned.' });
  const limited = metrics.counter({
    name: 'http_server_rate_limited_requests_total',
    help: 'Requests refused with 429, by limiter: `rate_limit` (RATE_LIMIT_PER_MINUTE) or `client_concurrency` (CLIENT_CONCURRENCY).',
    labelNames: ['limiter'],
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    active.inc();
    // 'close' comes whether the answer was sent or the client went away first.
    reply.raw.once('close', () => active.dec());
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    duration.observe({ method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status_code: status }, reply.elapsedTime / 1000);
    if (status === 429) limited.inc({ limiter: wasRefusedForConcurrency(request) ? 'client_concurrency' : 'rate_limit' });
    done();
  });
}
