import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyHttpOptions, FastifyInstance, LogController } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import type { AppOverrides } from '../app.module.js';
import { limitBulkBodies } from '../bulk/bulk-body-limit.js';
import type { AppConfig } from '../common/config/app-config.js';
import { ProblemDetailsFilter } from '../common/errors/problem-details.filter.js';
import { stampAnswers } from '../common/http/answer-headers.js';
import { recordClientAddresses, trustedProxies } from '../common/http/client-address.js';
import { limitConcurrencyPerClient } from '../common/http/client-concurrency.js';
import { addETags } from '../common/http/etag.js';
import { clientErrorAsProblem, frameworkErrorAsProblem } from '../common/http/framework-errors.js';
import { parseJsonBodiesStrictly } from '../common/http/json-body.parser.js';
import { lingerAfterEarlyAnswers, LINGER_MS } from '../common/http/lingering-close.js';
import { refuseAmbiguousHeaders } from '../common/http/request-headers.hook.js';
import { capConnections, serverLimits } from '../common/http/server-limits.js';
import { refuseRequestsWhileClosing, ShutdownDrain } from '../common/http/shutdown-gate.js';
import { lazyRequestLoggers, logRequests, REQUEST_ID_KEY, requestId, rootLogger } from '../common/logging/loggers.js';
import { measureRequests } from '../common/metrics/http-metrics.hook.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { linkNextPages } from '../common/pagination/next-link.hook.js';
import { allowConfiguredOrigins, refuseDeepBodies, securityHeaders } from '../common/security/security.setup.js';
import { StrictValidationPipe } from '../common/validation/strict-validation.pipe.js';
import { UndeclaredQueryGuard } from '../common/validation/undeclared-query.guard.js';
import { carryConsistencyTokens } from '../database/consistency-token.hook.js';
import { Sql } from '../database/sql.js';
import { installIdempotency } from '../idempotency/idempotency.interceptor.js';
import { canonicalContractPath } from './contract-paths.js';

type ServerOptions = FastifyHttpOptions<Server>;

interface Installed {
  app: NestFastifyApplication;
  fastify: FastifyInstance;
}

/** One step of the request pipeline: what it does, why it stands where it does, and how it is put in place. */
export interface PipelineStep {
  step: string;
  why: string;
  /** Options of Fastify's server, given when the adapter is made (the `http` ones are merged). */
  server?: ServerOptions;
  /** Hooks, parsers and Nest globals, installed in list order once the app exists and before its routes are registered. */
  install?: (installed: Installed) => void | Promise<void>;
}

/**
 * Everything a request meets, from the socket to the answer, in the order it meets it: Fastify runs
 * hooks of one kind in the order they are added, and the list adds them in its own order. Where a
 * step stands matters: every step that can refuse comes after the one that puts the request id and
 * the security headers on the answer, and answers written past the hooks write them themselves.
 */
export async function requestPipeline(config: AppConfig, overrides: AppOverrides = {}): Promise<PipelineStep[]> {
  const security = await securityHeaders(config.oidcIssuer === undefined ? [] : [new URL(config.oidcIssuer).origin]);
  const limits = serverLimits(config);
  return [
    // Node's HTTP server, before there is a request.
    {
      step: 'connection cap (MAX_CONNECTIONS) and deadlines (REQUEST_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS)',
      why: 'Node enforces them on the socket, ahead of everything else',
      server: limits,
      install: ({ app }) => capConnections(app.getHttpServer(), config.maxConnections, new Logger('Connections')),
    },
    {
      step: "what Node's HTTP server refuses (431 headers too large, 408 too slow, 400 unparsable) as problem+json",
      why: 'written on the socket past every hook, so it writes the request id and security headers itself',
      server: { clientErrorHandler: clientErrorAsProblem(security) },
    },
    // Fastify makes the request and routes it.
    {
      step: "request id (the caller's X-Request-Id when sane) and the one process logger",
      why: 'given as Fastify creates the request, so every later step, log line and answer can name it',
      server: {
        genReqId: requestId,
        loggerInstance: rootLogger(config.logLevel, overrides.logDestination),
        // request.log is made when a line is written through it, not for every request.
        childLoggerFactory: lazyRequestLoggers,
        // Fastify writes through the one logger; the request lines are logRequests'.
        logController: new LogController({ requestIdLogLabel: REQUEST_ID_KEY, disableRequestLogging: true }),
      },
    },
    {
      step: 'client address (request.ip) through the proxies TRUST_PROXY names',
      why: 'fixed as the request is created; the per-client queue, the rate limit and the log line all read it',
      server: { trustProxy: trustedProxies(config.trustProxy) },
    },
    {
      step: 'contract paths (`/api/v1/mentor-statuses/api/v1/…`) folded onto the canonical routes',
      why: 'rewriteUrl runs before routing, so both spellings reach the same route',
      server: { rewriteUrl: (request: IncomingMessage) => canonicalContractPath(request.url ?? '/') },
    },
    {
      step: "the router's refusals (400 malformed URL, 414 path parameter too long) as problem+json",
      why: 'the router answers before any hook, so it writes the request id and security headers itself',
      server: { frameworkErrors: frameworkErrorAsProblem(security) },
    },
    // onRequest hooks, in this order.
    {
      step: 'CORS for CORS_ORIGINS, preflights answered',
      why: "Nest's adapter runs it in a hook of its own ahead of all of ours, so a refusal carries the CORS headers too",
      install: ({ app }) => allowConfiguredOrigins(app, config),
    },
    {
      step: 'client address kept for the log line',
      why: 'first of our hooks, so a request any later step refuses is logged with its address',
      install: ({ fastify }) => recordClientAddresses(fastify),
    },
    {
      step: 'one log line per request, and the request id on every line written for it',
      why: 'before every step that may log or refuse, so those lines carry the id and a refusal gets its line',
      install: ({ fastify }) => logRequests(fastify),
    },
    {
      step: `an answer given before its request's body has arrived (413, a refusal) closes the connection only once the client has sent the rest, or after ${LINGER_MS} ms`,
      why: 'an onSend hook for every answer, the refusals of the steps below too; a close with the body unread would reset the connection under a client still sending it, before it read the answer',
      install: ({ fastify }) => lingerAfterEarlyAnswers(fastify),
    },
    {
      step: 'x-request-id and the security headers on the answer',
      why: 'before the first step that can refuse, so every answer, a refusal too, carries them',
      install: ({ fastify }) => stampAnswers(fastify, security),
    },
    {
      step: 'HTTP metrics: requests in flight, duration, 429s by limiter',
      why: 'before the queue, so requests waiting in it count as in flight (the duration is reply.elapsedTime, from arrival, wherever this stands)',
      install: ({ app, fastify }) => measureRequests(fastify, app.get(MetricsService)),
    },
    {
      step: 'shutdown gate: Connection: close on every answer from the drain on (SHUTDOWN_DRAIN_MS), 503 once the app is closing',
      why: 'the first refusal: a closing service takes nothing on, not even a place in the queue',
      server: { return503OnClosing: false },
      install: ({ app, fastify }) => refuseRequestsWhileClosing(fastify, app.get(ShutdownDrain)),
    },
    {
      step: 'ambiguous headers: 400 for a repeated Host, Authorization, Content-Type, Content-Length, Idempotency-Key or If-Match, or no Host',
      why: 'before anything reads those headers, and before the queue, so such a request never holds a place',
      // Off, so that a request without Host gets this problem+json instead of Node's bare 400.
      server: { http: { requireHostHeader: false } },
      install: ({ fastify }) => refuseAmbiguousHeaders(fastify),
    },
    {
      step: 'per-client queue: CLIENT_CONCURRENCY requests of one address at a time, 256 waiting, 429 beyond',
      why: 'last of the request hooks: only a request that will be handled waits for, and holds, a place',
      install: ({ fastify }) => limitConcurrencyPerClient(fastify, config.clientConcurrency),
    },
    // The body.
    {
      step: 'bodies: strict UTF-8 JSON up to BODY_LIMIT_BYTES (413), no member given twice in an object (400), any other media type 415',
      why: 'Fastify parses after the request hooks, so these refusals already carry the headers',
      server: { bodyLimit: config.bodyLimitBytes },
      install: ({ fastify }) => {
        parseJsonBodiesStrictly(fastify);
        fastify.removeContentTypeParser('text/plain');
      },
    },
    {
      step: 'the bulk routes take bodies up to BULK_BODY_LIMIT_BYTES',
      why: 'an onRoute hook, so it must be in place before Nest registers the routes at init',
      install: ({ fastify }) => limitBulkBodies(fastify, config.bulkBodyLimitBytes),
    },
    {
      step: 'consistency tokens: a read routed by its Consistency-Token (400 if it is not one), each answer given the token of what the request wrote or saw',
      why: "preValidation, after the body is parsed, so that the handler runs in the request's consistency; its onSend comes before the idempotency keys' one, whose writes it need not cover",
      install: ({ app, fastify }) => carryConsistencyTokens(fastify, app.get(Sql)),
    },
    {
      step: 'JSON bodies nest at most 32 levels (400)',
      why: 'a preHandler: after parsing, before validation walks the body',
      install: ({ fastify }) => refuseDeepBodies(fastify),
    },
    // Nest, around the handler: guards, then the interceptors of a handler, then pipes.
    {
      step: 'every error as problem+json: the global exception filter',
      why: "given before init, when Nest also makes it Fastify's error handler, so the refusals of the hooks above are written by it too",
      install: ({ app }) => app.useGlobalFilters(new ProblemDetailsFilter()),
    },
    {
      step: 'guards: the rate limit (429, SecurityModule), the API key (401/403, AuthModule), then undeclared query keys (400)',
      why: "Nest runs the modules' guards before this one, so a request over the rate limit is refused before anything else is checked",
      install: ({ app }) => app.useGlobalGuards(new UndeclaredQueryGuard()),
    },
    {
      step: 'validation of body, query and path parameters (400)',
      why: "a pipe: Nest runs pipes after the guards (and after a handler's interceptors), so a refused request is never validated",
      install: ({ app }) => app.useGlobalPipes(new StrictValidationPipe()),
    },
    // The answer on its way out.
    {
      step: 'Link: rel="next" on list pages',
      why: 'preSerialization: it reads the page before it becomes JSON',
      install: ({ fastify }) => linkNextPages(fastify),
    },
    {
      step: 'ETag on JSON GET answers, 304 for a matching If-None-Match',
      why: 'onSend: it hashes the JSON exactly as sent',
      install: ({ fastify }) => addETags(fastify),
    },
    {
      step: 'Idempotency-Key outcomes kept for replay',
      why: 'onSend: only there is the final answer known, whether the handler or the filter wrote it',
      install: ({ app }) => installIdempotency(app),
    },
  ];
}

/** The server options of every step, for the adapter. */
export function serverOptions(pipeline: readonly PipelineStep[]): ServerOptions {
  return pipeline.reduce<ServerOptions>((options, { server = {} }) => ({ ...options, ...server, http: { ...options.http, ...server.http } }), {});
}

/** Installs every step, in order, on the app (before app.init(), which registers the routes). */
export async function installPipeline(pipeline: readonly PipelineStep[], app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  for (const { install } of pipeline) await install?.({ app, fastify });
}
