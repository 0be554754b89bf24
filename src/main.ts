import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { createApp } from './app.factory.js';
import { AppConfig, loadConfig } from './common/config/app-config.js';
import { nestLogger, rootLogger } from './common/logging/loggers.js';
import { EmbeddedDatabase } from './database/embedded-postgres.js';

async function bootstrap(): Promise<void> {
  let config: AppConfig = loadConfig(process.env);
  const logger = new Logger('Main');
  Logger.overrideLogger(nestLogger(rootLogger(config.logLevel)));

  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await EmbeddedDatabase.start({ dataDir: join(config.dataDir, 'postgres'), port: config.embeddedPgPort });
    config = config.withDatabaseUrl(embedded.url);
  }

  const app = await createApp(config).catch(async (error: unknown) => {
    await embedded?.stop();
    throw error;
  });

  // Order matters: stop taking requests and let in-flight ones finish, close the pool, then the server.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing the requests in flight (up to SHUTDOWN_GRACE_MS=${config.shutdownGraceMs}), then stopping`);
    const overdue = setTimeout(() => {
      logger.error(`requests still running ${config.shutdownGraceMs} ms after ${signal} (SHUTDOWN_GRACE_MS): exiting without them`);
      void Promise.resolve(embedded?.stop()).finally(() => process.exit(1));
    }, config.shutdownGraceMs);
    try {
      await app.close();
      await embedded?.stop();
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

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
