import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { ProblemException } from '../errors/problem.exception.js';
import { markRoutineAnswer } from '../logging/loggers.js';

/** 503 while the service shuts down: it takes nothing new on, whatever else still finishes. */
export class ShuttingDownProblem extends ProblemException {
  constructor() {
    super(503, 'The service is shutting down; retry in a moment.', { type: '/problems/shutting-down', retryAfterSeconds: 1, routine: true });
  }
}

/**
 * The drain that SIGTERM starts before the app closes (SHUTDOWN_DRAIN_MS): readiness is down so
 * that load balancers stop sending, while requests are still served, each answer closing its
 * connection so that clients reconnect to another instance.
 */
@Injectable()
export class ShutdownDrain {
  private draining = false;

  begin(): void {
    this.draining = true;
  }

  get started(): boolean {
    return this.draining;
  }
}

/**
 * Once the app starts closing, requests that arrive (on connections kept alive) get 503
 * problem+json, while the requests already running finish. Every answer written from then on
 * (and from the start of the drain before it) says `Connection: close`, so that each connection ends with its last answer and the server
 * can close: Node closes the connections idle at that moment, not those that become idle later.
 * It replaces Fastify's own 503 on closing, whose body is not problem+json.
 */
export function refuseRequestsWhileClosing(fastify: FastifyInstance, drain: ShutdownDrain): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    markRoutineAnswer(request.raw);
    void reply.header('retry-after', '1');
    done(new ShuttingDownProblem());
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing || drain.started) void reply.header('connection', 'close');
    done(null, payload);
  });
}
