import { AsyncLocalStorage } from 'node:async_hooks';
import type { Queryable } from './queryable.js';

/**
 * What a request asks of the one transaction that writes for it, inside that transaction: the
 * idempotency key's claim as its first statement and its answer as its last before COMMIT
 * (src/idempotency), so that a committed write and its stored answer never part.
 */
export interface TransactionClaim {
  /** Runs first; throws, ending the transaction, when this request must not write. */
  claim(tx: Queryable): Promise<void>;
  /** Runs last before COMMIT, given the work's result, which is the request's answer. */
  answer(tx: Queryable, result: unknown): Promise<void>;
  /** The COMMIT that carried the answer succeeded. */
  committed(): void;
}

interface Holder {
  claim: TransactionClaim;
  taken: boolean;
}

const requests = new AsyncLocalStorage<Holder>();

/** Runs `work` with `claim` for its first read-write transaction. */
export function withTransactionClaim<T>(claim: TransactionClaim, work: () => T): T {
  return requests.run({ claim, taken: false }, work);
}

/** The claim of the request being handled, once: a later transaction of the same request runs without it. */
export function takeTransactionClaim(): TransactionClaim | undefined {
  const holder = requests.getStore();
  if (!holder || holder.taken) return undefined;
  holder.taken = true;
  return holder.claim;
}

/** Runs `work` outside any request's claim (what a commit sets off is not the request's write). */
export function withoutTransactionClaim<T>(work: () => T): T {
  return requests.exit(work);
}
