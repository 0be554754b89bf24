import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { httpProblem, PROBLEM_CONTENT_TYPE } from '../errors/problem.js';

/**
 * Fastify's router answers a malformed URL (400) and an over-long path parameter (414) itself,
 * before any hook or Nest runs; these answers are problem+json like every other.
 */
export function frameworkErrorAsProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = httpProblem(error, request.url);
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}

/** The same for what Node's HTTP parser rejects before there is a request at all, such as headers over the size limit (431). */
export function clientErrorAsProblem(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = httpProblem(error, '');
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
