import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';

type HeaderValue = string | string[] | number;

/** The headers @fastify/helmet would add, the same on every answer (see securityHeaders). */
export type SecurityHeaders = Readonly<Record<string, HeaderValue>>;

export const REQUEST_ID_HEADER = 'x-request-id';

/** The reply of the request each connection is reading or answering, for an answer Node writes on the socket itself. */
const replies = new WeakMap<Socket, FastifyReply>();

/**
 * Every answer carries the request's id and the security headers. They are put on the reply as
 * the request arrives, so that an answer given by any later step, a refusal too, has them.
 */
export function stampAnswers(fastify: FastifyInstance, security: SecurityHeaders): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(security).header(REQUEST_ID_HEADER, request.id);
    replies.set(request.raw.socket, reply);
    done();
  });
}

/**
 * For an answer written on the socket, past every hook (408, 431): the id and URL of the request
 * the connection is reading, if it got as far as being one; else a fresh id, so the answer still
 * carries one.
 */
export function requestOnSocket(socket: Socket): { id: string; url: string } {
  const reply = replies.get(socket);
  return reply && !reply.sent && !reply.raw.headersSent ? { id: reply.request.id, url: reply.request.url } : { id: randomUUID(), url: '' };
}
