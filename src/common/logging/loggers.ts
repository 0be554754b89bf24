import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, Params, PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DestinationStream, Logger, pino, stdTimeFunctions } from 'pino';
import { LogLevel } from '../config/app-config.js';
import { clientAddressOf } from '../http/client-address.js';
import { REDACTED, redactUrlSecrets } from '../http/url-secrets.js';
import { traceLogFields } from '../telemetry/trace-context.js';

/** The key that carries the request id on every line written while a request is handled. */
export const REQUEST_ID_KEY = 'request_id';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's `X-Request-Id` is kept when it is sane; otherwise every request gets a fresh one. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Requests are logged by method, URL (query secrets redacted) and client address, answers by status: no headers, so no credentials. */
const serializers = {
  req: (req: { method?: string; url?: string; raw?: IncomingMessage }) => ({
    method: req.method,
    url: redactUrlSecrets(req.url ?? ''),
    client_address: req.raw && clientAddressOf(req.raw),
  }),
  res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
};

let processLogger: Logger | undefined;

/**
 * The one pino logger of the process, which Nest, Fastify and the request lines all write
 * through, so every line has the same shape. nestjs-pino keeps its request logging once per
 * process, so this does too: the first call decides level and destination (tests that capture
 * the log pass their destination before anything else logs).
 */
export function rootLogger(level: LogLevel, destination?: DestinationStream): Logger {
  processLogger ??= pino(
    {
      level,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Credentials never reach a line, whichever object carries them.
      redact: { paths: ['req.headers.authorization', '*.headers.authorization', 'headers.authorization', 'authorization'], censor: REDACTED },
      serializers,
      // With tracing on, each line written inside a span names it (trace_id, span_id).
      mixin: traceLogFields,
    },
    destination,
  );
  return processLogger;
}

/** Answers that are part of normal operation whatever their status, such as the 503s while shutting down. */
const routineAnswers = new WeakSet<IncomingMessage>();

export function markRoutineAnswer(request: IncomingMessage): void {
  routineAnswers.add(request);
}

export function isRoutineAnswer(request: IncomingMessage): boolean {
  return routineAnswers.has(request);
}

/** Server faults are errors; client faults, aborted requests and routine refusals are not. */
export function requestLogLevel(request: IncomingMessage, response: ServerResponse, error?: Error): 'info' | 'warn' | 'error' {
  if (isRoutineAnswer(request)) return 'info';
  if (response.statusCode >= 500) return 'error';
  return error ? 'warn' : 'info';
}

/** nestjs-pino's settings: pino-http writes one line per request, and its logger carries the request id into every line of that request. */
export function loggingParams(logger: Logger): Params {
  return {
    pinoHttp: {
      logger,
      serializers,
      // The id Fastify gave the request (see createApp), which it also answers in X-Request-Id.
      genReqId: (request) => request.id ?? requestId(request),
      quietReqLogger: true,
      customAttributeKeys: { reqId: REQUEST_ID_KEY },
      customLogLevel: requestLogLevel,
      customSuccessMessage: (_request, response) => (response.writableFinished ? 'request completed' : 'request closed before its answer was sent'),
      customErrorMessage: () => 'request failed',
      // The exception filter logs the cause with its stack; this line only says how the request ended.
      customErrorObject: (_request, _response, _error, { err: _cause, ...line }: Record<string, unknown>) => line,
    },
    // Every route once, inside the prefix and outside it: nestjs-pino's default routes add the paths excluded from the
    // prefix (the health probes) a second time, and each probe was logged twice.
    forRoutes: ['{*splat}'],
  };
}

/** Nest's LoggerService over the process logger, for the lines written before the app exists (main.ts, the CLIs). */
export function nestLogger(logger: Logger): LoggerService {
  const params = loggingParams(logger);
  return new NestPinoLogger(new PinoLogger(params), params);
}
