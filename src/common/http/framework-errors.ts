import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, ProblemBody, problemInstance } from '../errors/problem-details.filter.js';
import { redactUrlSecrets } from './url-secrets.js';

const DETAILS: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long.',
  FST_ERR_BAD_URL: 'The URL is malformed.',
  HPE_HEADER_OVERFLOW: 'The request line and headers are too large.',
  ERR_HTTP_REQUEST_TIMEOUT: 'The request took too long to arrive.',
};

function problem(status: number, code: string | undefined, instance: string): ProblemBody {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: DETAILS[code ?? ''] ?? 'The request could not be read.',
    instance: problemInstance(instance),
  };
}

/**
 * Fastify's router answers a malformed URL (400) and an over-long path parameter (414) itself,
 * before any hook or Nest runs; these answers are problem+json like every other.
 */
export function frameworkErrorAsProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply
    .status(status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(problem(status, error.code, redactUrlSecrets(request.url)));
}

/** The same for what Node's HTTP parser rejects before there is a request at all, such as headers over the size limit (431). */
export function clientErrorAsProblem(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify(problem(status, error.code, ''));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
