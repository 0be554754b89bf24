import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { createApp } from './app.factory.js';
import { AppConfig } from './common/config/app-config.js';
import { ShutdownDrain } from './common/http/shutdown-gate.js';
import { nestLogger, rootLogger } from './common/logging/loggers.js';
import { EmbeddedDatabase } from './database/embedded-postgres.js';

/** Spans still buffered are sent at shutdown, for this long at most: an absent collector must not hold up the exit. */
const TRACE_FLUSH_MS = 2_000;

/** What main.ts started when tracing is on. */
export interface Tracing {
  shutdown(): Promise<void>;
}

async function flushTraces(tracing: Tracing | undefined, logger: Logger): Promise<void> {
  if (!tracing) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), TRACE_FLUSH_MS).unref()));
  const outcome = await Promise.race([
    tracing.shutdown().then(
      () => 'sent' as const,
      () => 'failed' as const,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
  if (outcome !== 'sent')
    logger.warn(`the last spans were not sent to the trace collector (${outcome === 'late' ? `not within ${TRACE_FLUSH_MS} ms` : 'it failed'})`);
}

/** Start-up after the configuration (and tracing, when on): embedded PostgreSQL when needed, the app, graceful shutdown. */
export async function serve(initial: AppConfig, tracing?: Tracing): Promise<void> {
  let config = initial;
  const logger = new Logger('Main');
  Logger.overrideLogger(nestLogger(rootLogger(config.logLevel)));
  if (tracing) logger.log(`tracing to ${config.otelExporterOtlpEndpoint} as ${config.otelServiceName}`);

  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await EmbeddedDatabase.start({ dataDir: join(config.dataDir, 'postgres'), port: config.embeddedPgPort });
    config = config.withDatabaseUrl(embedded.url);
  }

  const app = await createApp(config).catch(async (error: unknown) => {
    await embedded?.stop();
    throw error;
  });

  // Order matters: drain (readiness down, still serving), stop taking requests and let in-flight ones finish, close the pool, then the server.
  let stopping = false;
  let endDrain: (() => void) | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) {
      if (endDrain) logger.log(`${signal} received while draining: ending the drain now`);
      endDrain?.();
      return;
    }
    stopping = true;
    // SIGINT is someone at a terminal, never a balancer's rotation: no drain for it.
    if (signal === 'SIGTERM' && config.shutdownDrainMs > 0) {
      logger.log(
        `${signal} received: readiness is down, serving on for SHUTDOWN_DRAIN_MS=${config.shutdownDrainMs} while load balancers take this instance out`,
      );
      app.get(ShutdownDrain).begin();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.shutdownDrainMs);
        endDrain = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      endDrain = undefined;
    }
    logger.log(`${signal} received: finishing the requests in flight (up to SHUTDOWN_GRACE_MS=${config.shutdownGraceMs}), then stopping`);
    const overdue = setTimeout(() => {
      logger.error(`requests still running ${config.shutdownGraceMs} ms after ${signal} (SHUTDOWN_GRACE_MS): exiting without them`);
      void Promise.resolve(embedded?.stop()).finally(() => process.exit(1));
    }, config.shutdownGraceMs);
    try {
      await app.close();
      await embedded?.stop();
      await flushTraces(tracing, logger);
      clearTimeout(overdue);
      logger.log('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${String(error)}`);
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal));

  await app.listen({ port: config.port, host: config.host });
  logger.log(`listening on http://${config.host}:${config.port} (Swagger UI at /docs)`);
}
