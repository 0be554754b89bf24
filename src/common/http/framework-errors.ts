import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { httpProblem, PROBLEM_CONTENT_TYPE } from '../errors/problem.js';
import { REQUEST_ID_HEADER, requestOnSocket, SecurityHeaders } from './answer-headers.js';

/**
 * Fastify's router answers a malformed URL (400) and an over-long path parameter (414) itself,
 * before any hook or Nest runs; these answers are problem+json like every other, with the
 * request's id and the security headers that stampAnswers would have put on them.
 */
export function frameworkErrorAsProblem(security: SecurityHeaders) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const problem = httpProblem(error, request.url);
    void reply.headers(security).header(REQUEST_ID_HEADER, request.id).status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  };
}

/**
 * The same for what Node's HTTP server refuses on the socket, where there is no reply to write
 * with: headers over the size limit (431), a request not in within REQUEST_TIMEOUT_MS (408), a
 * message it cannot parse (400).
 */
export function clientErrorAsProblem(security: SecurityHeaders) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const request = requestOnSocket(socket);
    const problem = httpProblem(error, request.url);
    const body = JSON.stringify(problem);
    if (socket.writable) {
      const headers: [string, string | number | string[]][] = [
        ['Content-Type', PROBLEM_CONTENT_TYPE],
        ['Content-Length', Buffer.byteLength(body)],
        ['Connection', 'close'],
        [REQUEST_ID_HEADER, request.id],
        ...Object.entries(security),
      ];
      const lines = headers.flatMap(([name, value]) => [value].flat().map((one) => `${name}: ${one}\r\n`));
      socket.write(`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n${lines.join('')}\r\n${body}`);
    }
    socket.destroy(error);
  };
}
