import type pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { AfterCommitCallbacks } from './after-commit.js';
import { BoundedClient, type BoundedClientConfig, KEEPALIVE } from './bounded-client.js';
import { migrations } from './migrations/index.js';
import { localStatementTimeout } from './pooled-sessions.js';

export const APPLICATION_NAME = 'mentor-status-service';

type Options = Extract<DataSourceOptions, { type: 'postgres' }>;

/** What every connection of the service to PostgreSQL shares, wherever it leads. */
function connectionOptions(config: AppConfig, url: string, { pooled }: { pooled: boolean }): Options {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsRun: false,
    synchronize: false,
    poolSize: config.dbPoolSize,
    // A request waits this long for a pool connection (a free one, or a new one whose server may accept but never answer), then fails with 503 instead of hanging.
    connectTimeoutMS: config.dbConnectTimeoutMs,
    // pg-pool builds its connections with `Client` from these options: each query is bounded on our side too.
    extra: {
      Client: BoundedClient,
      queryTimeoutMillis: config.dbQueryTimeoutMs,
      // A transaction pooler refuses any startup parameter it does not know (PgBouncer: 08P01), and would not keep it for the session anyway.
      ...(pooled ? {} : { statement_timeout: config.dbStatementTimeoutMs }),
      ...KEEPALIVE,
    } satisfies BoundedClientConfig & { Client: typeof BoundedClient },
    // Behind a transaction pooler each transaction sets the timeout for itself, as it may run on any server session.
    subscribers: [AfterCommitCallbacks, ...(pooled && config.dbStatementTimeoutMs > 0 ? [localStatementTimeout(config.dbStatementTimeoutMs)] : [])],
    applicationName: APPLICATION_NAME,
    logging: false,
  };
}

function required(url: string | undefined): string {
  if (!url) throw new Error('the data source needs a database URL: start the embedded server first or set DATABASE_URL');
  return url;
}

/**
 * The app's data source, over DATABASE_URL (through the pooler, if there is one). Entities are not
 * listed here: each feature module registers its own (TypeOrmModule.forFeature), and the TypeORM
 * CLI's data source (ormconfig.ts) names them all.
 */
export function dataSourceOptions(config: AppConfig): Options {
  return connectionOptions(config, required(config.databaseUrl), { pooled: config.databasePooler !== 'none' });
}

/**
 * A small data source over DATABASE_DIRECT_URL, for sessions that must stay one server session
 * from start to end: the migrations under their advisory lock, the certification sweep's lock.
 */
export function directDataSourceOptions(config: AppConfig): Options {
  return { ...connectionOptions(config, required(config.databaseDirectUrl), { pooled: false }), poolSize: 2 };
}

/** A replica's data source: reached like the primary (through the same kind of pooler, if any), read only. */
export function replicaDataSourceOptions(config: AppConfig, url: string): Options {
  return { ...connectionOptions(config, url, { pooled: config.databasePooler !== 'none' }), migrations: [] };
}

/**
 * Settings for a `pg.Client` of its own on the direct connection, for whatever needs a server
 * session that outlives a transaction and that no pooler may hand to someone else (LISTEN).
 */
export function directConnectionConfig(config: AppConfig, applicationName = APPLICATION_NAME): pg.ClientConfig {
  return {
    connectionString: required(config.databaseDirectUrl),
    application_name: applicationName,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    ...KEEPALIVE,
  };
}
