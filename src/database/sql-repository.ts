import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ReplicaRouter } from './replica-router.js';

/**
 * What every repository offers its service: transactions and plain statements on the primary,
 * and reads that may be served by a replica. Repositories add their SQL on top.
 */
@Injectable()
export abstract class SqlRepository {
  constructor(
    protected readonly dataSource: DataSource,
    private readonly replicas: ReplicaRouter,
  ) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** The primary's, for statements outside a transaction. */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** For reads outside a transaction that may be a little behind (a replica's): never for a write or a read a write depends on. */
  get readManager(): EntityManager {
    return this.replicas.manager;
  }
}
