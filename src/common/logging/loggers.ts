import type { LoggerService } from '@nestjs/common';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { FastifyChildLoggerFactory } from 'fastify/types/logger.js';
import { Logger as NestPinoLogger, Params, PinoLogger } from 'nestjs-pino';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Bindings, ChildLoggerOptions, DestinationStream, LevelWithSilentOrString, Logger, pino, stdTimeFunctions } from 'pino';
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

/** nestjs-pino's settings: the request lines and the request loggers come from {@link logRequests}, in its shape. */
export function loggingParams(logger: Logger): Params {
  return { pinoHttp: { logger, serializers } };
}

/** The logger of the request being handled, made on its first use: most requests write no line before their own. */
const requestLoggers = new AsyncLocalStorage<() => Logger>();

/** Nest's lines written while a request is handled carry its request id. */
class RequestPinoLogger extends PinoLogger {
  override get logger(): Logger {
    return requestLoggers.getStore()?.() ?? super.logger;
  }
}

/**
 * One line per request when its answer is sent or its client leaves, at the level
 * {@link requestLogLevel} gives, and the request's id on every line written while it is handled.
 * The lines are pino-http's, from the logger nestjs-pino builds (PinoLogger.root), but written from
 * a Fastify hook rather than two Nest middlewares, and the request's child loggers are made only
 * when a line is written: at LOG_LEVEL=warn a request costs no logger at all.
 */
export function logRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const startedAt = Date.now();
    let made: Logger | undefined;
    const logger = () => (made ??= PinoLogger.root.child({ [REQUEST_ID_KEY]: request.id }));
    const response = reply.raw;
    let failure: Error | undefined;
    const failed = (error: Error) => (failure = error);
    // 'close' follows 'finish' and 'error' alike, so one listener of it sees every outcome.
    response.once('error', failed).once('close', () => {
      response.off('error', failed);
      const level = requestLogLevel(request.raw, response, failure);
      if (!PinoLogger.root.isLevelEnabled(level)) return;
      const line = logger().child({ req: request.raw });
      const fields = { res: response, responseTime: Date.now() - startedAt };
      if (failure || response.statusCode >= 500) line[level](fields, 'request failed');
      else line[level](fields, response.writableFinished ? 'request completed' : 'request closed before its answer was sent');
    });
    requestLoggers.run(logger, done);
  });
}

type LogArguments = Parameters<FastifyBaseLogger['info']>;

/**
 * Fastify's logger of one request (request.log, reply.log), made as a pino child on its first use:
 * Fastify makes one for every request, and hardly any request writes through it (its request lines
 * are off: logRequests writes them).
 */
class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): LevelWithSilentOrString {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.logger.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }

  fatal(...args: LogArguments): void {
    this.logger.fatal(...args);
  }

  error(...args: LogArguments): void {
    this.logger.error(...args);
  }

  warn(...args: LogArguments): void {
    this.logger.warn(...args);
  }

  info(...args: LogArguments): void {
    this.logger.info(...args);
  }

  debug(...args: LogArguments): void {
    this.logger.debug(...args);
  }

  trace(...args: LogArguments): void {
    this.logger.trace(...args);
  }

  silent(...args: LogArguments): void {
    this.logger.silent(...args);
  }
}

/** Fastify's childLoggerFactory: each request's logger is a {@link LazyChildLogger}. */
export const lazyRequestLoggers: FastifyChildLoggerFactory = (logger, bindings, options) => new LazyChildLogger(logger, bindings, options);

/** Nest's LoggerService over the process logger: the app's, and the lines written before the app exists (main.ts, the CLIs). */
export function nestLogger(logger: Logger): LoggerService {
  const params = loggingParams(logger);
  return new NestPinoLogger(new RequestPinoLogger(params), params);
}
