import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
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
    // A request waits this long for a pool connection, then fails with 503 instead of hanging.
    connectTimeoutMS: config.dbConnectTimeoutMs,
    extra: { statement_timeout: config.dbStatementTimeoutMs },
    applicationName: 'mentor-status-service',
    logging: false,
  };
}
