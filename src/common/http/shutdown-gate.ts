import type { FastifyInstance } from 'fastify';
import { ProblemException } from '../errors/problem.exception.js';
import { markRoutineAnswer } from '../logging/loggers.js';

/**
 * Once the app starts closing, requests that arrive (on connections kept alive) get 503
 * problem+json and their connection is closed, while the requests already running finish.
 * It replaces Fastify's own 503 on closing, whose body is not problem+json.
 */
export function refuseRequestsWhileClosing(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    markRoutineAnswer(request.raw);
    void reply.header('connection', 'close').header('retry-after', '1');
    throw new ProblemException(503, 'The service is shutting down; retry in a moment.', { type: '/problems/shutting-down' });
  });
}
