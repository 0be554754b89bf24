import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { redactUrlSecrets } from '../http/url-secrets.js';
import { isDatabaseUnavailable } from './postgres-error.js';
import { ProblemException, shortened } from './problem.exception.js';
import { problemTypeOfStatus, ProblemType } from './problem-types.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const MAX_INSTANCE_LENGTH = 1024;
const MAX_DETAIL_LENGTH = 500;

export interface ProblemBody {
  type: ProblemType;
  title: string;
  status: number;
  detail: string;
  instance: string;
  [extension: string]: unknown;
}

/**
 * The request target as `instance`, bounded so that an answer never grows with the request: a
 * longer one is given without its query, and a path longer still is cut.
 */
function problemInstance(url: string): string {
  if (url.length <= MAX_INSTANCE_LENGTH) return url;
  return url.split('?')[0].slice(0, MAX_INSTANCE_LENGTH);
}

function problemOf(status: number, detail: string, url: string, type = problemTypeOfStatus(status)): ProblemBody {
  return {
    type,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: shortened(detail, MAX_DETAIL_LENGTH),
    instance: problemInstance(redactUrlSecrets(url)),
  };
}

/** Words for the refusals of Fastify's router and Node's HTTP parser, whose own messages echo the request or name internals. */
const REFUSAL_DETAILS: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long.',
  FST_ERR_BAD_URL: 'The URL is malformed.',
  HPE_HEADER_OVERFLOW: 'The request line and headers are too large.',
  ERR_HTTP_REQUEST_TIMEOUT: 'The request took too long to arrive.',
};

/**
 * What Fastify or Node's HTTP parser refused before a route ran (bad JSON, body too large, wrong
 * media type, malformed URL or message, headers too large, too slow), as status and words.
 */
function refusalOf(error: unknown): { status: number; detail: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string') return undefined;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, detail: REFUSAL_DETAILS[code] };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, detail: REFUSAL_DETAILS[code] };
  if (code.startsWith('HPE_')) return { status: 400, detail: 'The request could not be read.' };
  if (code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, detail: REFUSAL_DETAILS[code] ?? error.message };
  }
  return undefined;
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

/**
 * The one builder of problem+json bodies (RFC 9457): whatever failed, and whoever writes the
 * answer (the exception filter, the router's and the HTTP parser's refusals, each failed item of a
 * batch), the body is made here, with a `type` from PROBLEM_TYPES. Anything unexpected becomes a
 * 500 that reveals nothing internal; credentials in the URL never reach `instance`.
 */
export function httpProblem(error: unknown, url: string): ProblemBody {
  if (error instanceof ProblemException) {
    const { type, errors, extensions } = error.problem;
    const standard = problemOf(error.getStatus(), error.detail, url, type);
    // Standard members come first and an extension cannot overwrite one.
    return { ...standard, ...extensions, ...standard, ...(errors && { errors }) };
  }
  if (error instanceof HttpException) return problemOf(error.getStatus(), httpExceptionDetail(error), url);
  const refusal = refusalOf(error);
  if (refusal) return problemOf(refusal.status, refusal.detail, url);
  if (isClientAbort(error)) return problemOf(400, 'The client closed the connection before the request arrived in full.', url);
  if (isDatabaseUnavailable(error)) return problemOf(503, 'The database is not answering; try again shortly.', url, '/problems/database-unavailable');
  return problemOf(500, 'An unexpected error occurred. It has been logged.', url, '/problems/internal-error');
}
