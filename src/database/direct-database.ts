import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { directDataSourceOptions } from './data-source-options.js';
import { DatabaseLock } from './database-lock.js';

/**
 * The database reached over DATABASE_DIRECT_URL, for sessions that must be one server session from
 * start to end: the migrations under their advisory lock, the certification sweep's lock. Without
 * a pooler it is the app's own data source; behind one it is a small data source of its own
 * (two connections), opened when first needed.
 */
@Injectable()
export class DirectDatabase implements OnApplicationShutdown {
  private direct: Promise<DataSource> | undefined;

  constructor(
    private readonly main: DataSource,
    private readonly config: AppConfig,
  ) {}

  dataSource(): Promise<DataSource> {
    if (this.config.databaseDirectUrl === this.config.databaseUrl) return Promise.resolve(this.main);
    this.direct ??= new DataSource(directDataSourceOptions(this.config)).initialize().catch((error: unknown) => {
      // The next caller tries again.
      this.direct = undefined;
      throw error;
    });
    return this.direct;
  }

  /**
   * Runs `work` while a session of the direct connection holds `lock`, if no other session holds
   * it; undefined when one does. The lock lives on a connection of its own for as long as `work`
   * runs: through a transaction pooler that session would be handed to others after each statement.
   */
  async withSessionLockIfFree<T>(lock: DatabaseLock, work: () => Promise<T>): Promise<{ result: T } | undefined> {
    const holder = (await this.dataSource()).createQueryRunner();
    await holder.connect();
    try {
      const [{ locked }]: { locked: boolean }[] = await holder.manager.query('SELECT pg_try_advisory_lock($1) AS locked', [lock]);
      if (!locked) return undefined;
      try {
        return { result: await work() };
      } finally {
        await holder.query('SELECT pg_advisory_unlock($1)', [lock]);
      }
    } finally {
      await holder.release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const direct = await this.direct?.catch(() => undefined);
    await direct?.destroy();
  }
}
