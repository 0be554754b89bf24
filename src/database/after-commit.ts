import {
  type EntityManager,
  type EntitySubscriberInterface,
  EventSubscriber,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';

/** What each open transaction has asked to run once it commits. */
const pending = new WeakMap<QueryRunner, Set<() => void>>();

/**
 * Runs `callback` once the transaction that `manager` works in has committed, or at once when it
 * works in none; never when the transaction rolls back. A callback given twice to one transaction
 * runs once. For what must not happen inside the transaction, such as telling other instances
 * about its writes (a NOTIFY inside a writing transaction serialises its commit with every other
 * notifying commit in the cluster).
 */
export function afterCommit(manager: EntityManager, callback: () => void): void {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) {
    callback();
    return;
  }
  const callbacks = pending.get(runner);
  if (callbacks) callbacks.add(callback);
  else pending.set(runner, new Set([callback]));
}

/** The TypeORM subscriber behind {@link afterCommit}; every data source that writes lists it. */
@EventSubscriber()
export class AfterCommitCallbacks implements EntitySubscriberInterface {
  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A savepoint was released: the transaction itself goes on.
    if (event.queryRunner.isTransactionActive) return;
    const callbacks = pending.get(event.queryRunner);
    pending.delete(event.queryRunner);
    for (const callback of callbacks ?? []) callback();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) pending.delete(event.queryRunner);
  }
}
