import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationProblem } from '../common/errors/problem.exception.js';
import { CONSISTENCY_TOKEN_HEADER, CONSISTENCY_TOKEN_PATTERN, type RequestConsistency, withConsistency } from './consistency.js';
import type { Sql } from './sql.js';

const HEADER = CONSISTENCY_TOKEN_HEADER.toLowerCase();
const READS = new Set(['GET', 'HEAD']);

/**
 * The request's side of consistency tokens (consistency.ts): a read's `Consistency-Token` goes to
 * the seam, which routes by it, and the answer carries the token of what the request wrote or saw.
 * Writes ignore the header: they read from the primary, which has everything. A read's header is
 * checked also where the service has no replicas and ignores it, so a client's mistake shows
 * wherever it runs.
 *
 * The request runs in its consistency from preValidation on: after the early refusals and the
 * body's parsing, whatever the parser does (a context entered earlier reaches the handler only if
 * the parser hands on its own), and before the guards, interceptors and handler. The token is
 * added in onSend, ahead of the hooks that write to the database after the answer is known (the
 * idempotency keys' outcome), whose statements it does not need to cover.
 */
export function carryConsistencyTokens(fastify: FastifyInstance, sql: Sql): void {
  const requests = new WeakMap<FastifyRequest, RequestConsistency>();
  fastify.addHook('preValidation', (request, _reply, done) => {
    const read = READS.has(request.method);
    const token = read ? request.headers[HEADER] : undefined;
    if (token !== undefined && (typeof token !== 'string' || !CONSISTENCY_TOKEN_PATTERN.test(token))) {
      return done(new ValidationProblem([{ field: CONSISTENCY_TOKEN_HEADER, message: 'must be the Consistency-Token of an earlier answer, sent once' }]));
    }
    const consistency = sql.consistencyFor(token);
    if (!consistency) return done();
    requests.set(request, consistency);
    withConsistency(consistency, done);
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    const consistency = requests.get(request);
    if (!consistency) return payload;
    requests.delete(request);
    // An answer that failed on the server is not held up by asking a database that may be down.
    const token = await consistency.answer(reply.statusCode < 500);
    if (token !== undefined) void reply.header(HEADER, token);
    return payload;
  });
}
