import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { BoundedClient, type BoundedClientConfig, KEEPALIVE } from './bounded-client.js';
import { migrations } from './migrations/index.js';

export const APPLICATION_NAME = 'mentor-status-service';
/** Where TypeORM records the migrations it has applied. */
export const MIGRATIONS_TABLE = 'typeorm_migrations';

type Options = Extract<DataSourceOptions, { type: 'postgres' }>;
type PoolConfig = pg.PoolConfig & BoundedClientConfig & { Client: typeof BoundedClient };

/** Whether DATABASE_URL leads to a transaction pooler (DATABASE_POOLER, `auto` resolved at start by resolveDatabasePooler). */
export function throughPooler(config: AppConfig): boolean {
  return config.databasePooler === 'pgbouncer';
}

/**
 * Whether a server session can outlive a transaction: always, but behind a transaction pooler
 * only over a DATABASE_DIRECT_URL of its own.
 */
export function hasDirectSessions(config: AppConfig): boolean {
  return !throughPooler(config) || config.databaseDirectUrl !== config.databaseUrl;
}

function required(url: string | undefined): string {
  if (!url) throw new Error('the data source needs a database URL: start the embedded server first or set DATABASE_URL');
  return url;
}

/**
 * What every pooled connection of the service to PostgreSQL shares, wherever it leads: each query
 * bounded on our side (BoundedClient), TCP keep-alive, a bounded wait to connect, and the
 * statement timeout as a startup parameter unless a transaction pooler stands in between (it
 * refuses parameters it does not know, PgBouncer with 08P01, and would not keep them for the
 * session anyway; each transaction then sets its own, see Sql).
 */
function connectionSettings(config: AppConfig, { pooled }: { pooled: boolean }): Omit<PoolConfig, 'connectionString'> {
  return {
    Client: BoundedClient,
    queryTimeoutMillis: config.dbQueryTimeoutMs,
    ...(pooled ? {} : { statement_timeout: config.dbStatementTimeoutMs }),
    ...KEEPALIVE,
  };
}

/**
 * The app's data source, over DATABASE_URL (through the pooler, if there is one): its pool is the
 * primary's pool of the data seam (Sql), and it runs the migrations. Entities are not loaded: the
 * SQL is the repositories' own; the TypeORM CLI (ormconfig.ts) and the drift test load them all.
 */
export function dataSourceOptions(config: AppConfig): Options {
  return {
    type: 'postgres',
    url: required(config.databaseUrl),
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    poolSize: config.dbPoolSize,
    // A request waits this long for a pool connection (a free one, or a new one whose server may accept but never answer), then fails with 503 instead of hanging.
    connectTimeoutMS: config.dbConnectTimeoutMs,
    extra: connectionSettings(config, { pooled: throughPooler(config) }),
    applicationName: APPLICATION_NAME,
    logging: false,
  };
}

/** The same data source over DATABASE_DIRECT_URL, for the migrations and the TypeORM CLI: they need one server session throughout. */
export function directDataSourceOptions(config: AppConfig): Options {
  return { ...dataSourceOptions(config), url: required(config.databaseDirectUrl), poolSize: 2, extra: connectionSettings(config, { pooled: false }) };
}

/** The pool of sessions on the direct connection (session locks), when it is not the app's own; through the pooler when there is no direct connection. */
export function directPoolConfig(config: AppConfig): PoolConfig {
  return {
    connectionString: required(config.databaseDirectUrl),
    application_name: APPLICATION_NAME,
    max: 2,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    ...connectionSettings(config, { pooled: !hasDirectSessions(config) }),
  };
}

/** A replica's pool: reached like the primary (through the same kind of pooler, if any). */
export function replicaPoolConfig(config: AppConfig, url: string): PoolConfig {
  return {
    connectionString: url,
    application_name: APPLICATION_NAME,
    max: config.dbPoolSize,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    ...connectionSettings(config, { pooled: throughPooler(config) }),
  };
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

/**
 * A pool of one connection (or `max`) for checks — health, the primary's probe, replica checks —
 * that never queue behind requests: connecting and each query bounded by `timeoutMs`, the
 * connection kept between checks, and one that breaks left for the next check to find.
 */
export function checkPool(url: string | undefined, applicationName: string, timeoutMs: number, max = 1): pg.Pool {
  const options: PoolConfig = {
    connectionString: url,
    application_name: applicationName,
    max,
    Client: BoundedClient,
    queryTimeoutMillis: timeoutMs,
    connectionTimeoutMillis: timeoutMs,
    idleTimeoutMillis: 60_000,
    ...KEEPALIVE,
  };
  const pool = new pg.Pool(options);
  pool.on('error', () => undefined);
  return pool;
}
