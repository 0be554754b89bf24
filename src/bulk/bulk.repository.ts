import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** Carries a transaction's result out of it, rolling it back on the way. */
class RolledBack<T> extends Error {
  constructor(readonly result: T) {
    super('rolled back on purpose');
  }
}

/** The transactions of batches. */
@Injectable()
export class BulkRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in a transaction that commits only if `commit` holds for its result, and is rolled back otherwise; the result either way. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>, commit: (result: T) => boolean): Promise<T> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const result = await work(manager);
        if (!commit(result)) throw new RolledBack(result);
        return result;
      });
    } catch (error) {
      if (error instanceof RolledBack) return error.result as T;
      throw error;
    }
  }
}
