import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { redactUrlSecrets } from '../http/url-secrets.js';
import { isRoutineAnswer, markRoutineAnswer } from '../logging/loggers.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './postgres-error.js';
import { ProblemException, shortened } from './problem.exception.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const MAX_INSTANCE_LENGTH = 1024;
const MAX_DETAIL_LENGTH = 500;

/**
 * The request target as `instance`, bounded so that an answer never grows with the request: a
 * longer one is given without its query, and a path longer still is cut.
 */
export function problemInstance(url: string): string {
  if (url.length <= MAX_INSTANCE_LENGTH) return url;
  return url.split('?')[0].slice(0, MAX_INSTANCE_LENGTH);
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  [extension: string]: unknown;
}

/** Errors raised by Fastify itself before a route runs (bad JSON, body too large, wrong media type). */
interface FastifyClientError extends Error {
  code: string;
  statusCode: number;
}

function isFastifyClientError(error: unknown): error is FastifyClientError {
  if (!(error instanceof Error)) return false;
  const candidate = error as Partial<FastifyClientError>;
  return (
    typeof candidate.code === 'string' &&
    candidate.code.startsWith('FST_') &&
    typeof candidate.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500
  );
}

/** Node's error when the client closes the connection before its request has arrived in full. */
function isClientAbort(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ECONNRESET' && error.message === 'aborted';
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

function problemOf(status: number, detail: string, instance: string, type = 'about:blank'): ProblemBody {
  return { type, title: STATUS_CODES[status] ?? 'Error', status, detail: shortened(detail, MAX_DETAIL_LENGTH), instance: problemInstance(instance) };
}

/**
 * The problem+json body of an HttpException as the filter writes it, for an answer given inside
 * another one too (each failed item of a batch).
 */
export function httpProblem(exception: HttpException, url: string): ProblemBody {
  const instance = redactUrlSecrets(url);
  if (exception instanceof ProblemException) {
    const { type = 'about:blank', errors, extensions } = exception.problem;
    const standard = problemOf(exception.getStatus(), exception.detail, instance, type);
    // Standard members come first and an extension cannot overwrite one.
    return { ...standard, ...extensions, ...standard, ...(errors && { errors }) };
  }
  return problemOf(exception.getStatus(), httpExceptionDetail(exception), instance);
}

/**
 * The one place where errors become HTTP answers: every failure leaves as RFC 9457
 * problem+json, and anything unexpected becomes a 500 that reveals nothing internal.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = this.toProblem(exception, request);
    if (exception instanceof ProblemException && exception.problem.routine) markRoutineAnswer(request.raw);
    // Client faults and routine refusals are told by the request's own line (info); only server faults need their cause.
    if (problem.status >= 500 && !isRoutineAnswer(request.raw)) {
      this.logger.error({ msg: 'error while handling the request', err: exception });
    }
    const retryAfterSeconds =
      exception instanceof ProblemException ? exception.problem.retryAfterSeconds : isDatabaseUnavailable(exception) ? DATABASE_RETRY_AFTER_SECONDS : undefined;
    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }

  private toProblem(exception: unknown, request: FastifyRequest): ProblemBody {
    if (exception instanceof HttpException) return httpProblem(exception, request.url);
    const instance = redactUrlSecrets(request.url);
    if (isFastifyClientError(exception)) {
      return problemOf(exception.statusCode, exception.message, instance);
    }
    if (isClientAbort(exception)) {
      return problemOf(400, 'The client closed the connection before the request arrived in full.', instance);
    }
    if (isDatabaseUnavailable(exception)) {
      return problemOf(503, 'The database is not answering; try again shortly.', instance);
    }
    return problemOf(500, 'An unexpected error occurred. It has been logged.', instance);
  }
}
