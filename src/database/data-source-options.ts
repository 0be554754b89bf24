import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { BoundedClient, type BoundedClientConfig, KEEPALIVE } from './bounded-client.js';
import { migrations } from './migrations/index.js';

/**
 * The connection settings of the app's data source and of the CLIs'. Entities are not listed here:
 * each feature module registers its own (TypeOrmModule.forFeature), and the TypeORM CLI's data
 * source (ormconfig.ts) names them all.
 */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  if (!config.databaseUrl) {
    throw new Error('dataSourceOptions needs a database URL: start the embedded server first or set DATABASE_URL');
  }
  return {
    type: 'postgres',
    url: config.databaseUrl,
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
      statement_timeout: config.dbStatementTimeoutMs,
      ...KEEPALIVE,
    } satisfies BoundedClientConfig & { Client: typeof BoundedClient },
    applicationName: 'mentor-status-service',
    logging: false,
  };
}
