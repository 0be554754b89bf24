import type { LoggerService } from '@nestjs/common';
import type { Server, ServerOptions } from 'node:http';
import type { AppConfig } from '../config/app-config.js';

/** Node checks for requests past their deadline on an interval (30 s by default), which bounds how precisely a deadline holds. */
const LONGEST_CHECK_INTERVAL_MS = 1_000;

export interface ServerLimits {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
}

/**
 * How long a client may take to send a request and how long an idle kept-alive connection stays
 * open, as Fastify and Node's HTTP server take them. Node refuses a headers timeout above the
 * request timeout; the headers are part of the request, so both are REQUEST_TIMEOUT_MS and the
 * relation holds for every valid configuration.
 */
export function serverLimits(config: Pick<AppConfig, 'requestTimeoutMs' | 'keepAliveTimeoutMs'>): ServerLimits {
  const requestTimeout = config.requestTimeoutMs;
  return {
    // Fastify sets these two on the server it creates, over what `http` says.
    requestTimeout,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      requestTimeout,
      headersTimeout: requestTimeout,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(LONGEST_CHECK_INTERVAL_MS, requestTimeout),
    },
  };
}

const DROP_REPORT_INTERVAL_MS = 10_000;

/**
 * At most `max` open connections: Node closes any beyond it as soon as it is accepted. The first
 * such drop is logged, then at most one summary line per ten seconds, however many are dropped.
 */
export function capConnections(server: Server, max: number, logger: Pick<LoggerService, 'warn'>): void {
  server.maxConnections = max;
  let dropped = 0;
  let reportedAt = -Infinity;
  server.on('drop', () => {
    dropped++;
    if (Date.now() - reportedAt < DROP_REPORT_INTERVAL_MS) return;
    logger.warn(`MAX_CONNECTIONS=${max} reached: closed ${dropped} new connection(s) unserved`);
    reportedAt = Date.now();
    dropped = 0;
  });
}
