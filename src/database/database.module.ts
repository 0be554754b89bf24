import { Global, Injectable, Logger, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { AppConfig } from '../common/config/app-config.js';
import type { BoundedClientConfig } from './bounded-client.js';
import { DatabaseMetrics, DatabaseMetricsModule } from './database.metrics.js';
import { dataSourceOptions } from './data-source-options.js';
import { DirectDatabase } from './direct-database.js';
import { ExportCursors } from './export-cursor.js';
import { runMigrations } from './migrate.js';
import { assertPooledStatementTimeout, explainPoolerRefusal, PoolerRefusedSessionSettings } from './pooled-sessions.js';
import { ReplicaRouter } from './replica-router.js';
import { hasAnyMentor, seedDemoData } from './seed/demo-data.js';

/** The app's TypeORM pool, as the metrics name it. */
const PRIMARY_POOL = 'primary';

@Injectable()
class DatabaseLifecycle implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly dataSource: DataSource,
    private readonly direct: DirectDatabase,
    private readonly config: AppConfig,
    private readonly metrics: DatabaseMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.watchPool(PRIMARY_POOL, (this.dataSource.driver as PostgresDriver).master as pg.Pool);
    if (this.config.databasePooler !== 'none') await assertPooledStatementTimeout(this.dataSource, this.config.dbStatementTimeoutMs);
    const applied = await runMigrations(await this.direct.dataSource());
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.map((migration) => migration.name).join(', ')}`);
  }

  /** Demo data goes into an empty database only: a first run, never over someone's data. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demoData || (await hasAnyMentor(this.dataSource))) return;
    await seedDemoData(this.dataSource);
    this.logger.log('loaded the demo data into the empty database');
  }
}

/** The data source, the direct connection beside it, the read replicas and export cursors; global, so that every repository can reach them. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [DatabaseMetricsModule],
      inject: [AppConfig, DatabaseMetrics],
      useFactory: (config: AppConfig, metrics: DatabaseMetrics) => {
        const options = dataSourceOptions(config);
        return {
          ...options,
          extra: { ...options.extra, observeQuery: metrics.queryObserver(PRIMARY_POOL) } satisfies BoundedClientConfig,
          autoLoadEntities: true,
          toRetry: (error: unknown) => !(error instanceof PoolerRefusedSessionSettings),
        };
      },
      dataSourceFactory: async (options) => {
        try {
          return await new DataSource(options!).initialize();
        } catch (error) {
          throw explainPoolerRefusal(error);
        }
      },
    }),
    DatabaseMetricsModule,
  ],
  providers: [DatabaseLifecycle, DirectDatabase, ReplicaRouter, ExportCursors],
  exports: [DirectDatabase, ReplicaRouter, ExportCursors],
})
export class DatabaseModule {}
