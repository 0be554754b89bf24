import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../common/config/app-config.js';
import { nestLogger, rootLogger } from '../common/logging/loggers.js';
import { embeddedDatabaseUrl } from '../database/embedded-postgres.js';
import { resolveDatabasePooler } from '../database/pooled-sessions.js';
import { CertificationSweepService } from '../certification/certification-sweep.service.js';

/**
 * `npm run sweep`: one certification sweep against DATABASE_URL (or the running embedded
 * server), migrating first, then exit. Progress and totals go to the log. When another sweep
 * is running it does nothing and says so; both end with exit code 0.
 */
// No metrics listener: the running service may hold its port, and a one-off run has nothing to be scraped for.
const config = loadConfig({ ...process.env, CERT_SWEEP_INTERVAL_SECONDS: '0', RESUME_SWEEP_INTERVAL_SECONDS: '0', DEMO_DATA: 'false', METRICS_PORT: '0' });
const logger = nestLogger(rootLogger(config.logLevel));
Logger.overrideLogger(logger);
const app = await NestFactory.createApplicationContext(
  AppModule.forRoot(config.databaseUrl ? await resolveDatabasePooler(config) : config.withDatabaseUrl(embeddedDatabaseUrl(config.embeddedPgPort))),
  { logger },
);
try {
  if (!(await app.get(CertificationSweepService).sweepIfFree())) logger.log('skipped: another certification sweep is running', 'CertificationSweep');
} finally {
  await app.close();
}
