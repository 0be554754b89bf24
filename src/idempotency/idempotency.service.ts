import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service.js';
import type { Queryable } from '../database/sql.js';
import type { TransactionClaim } from '../database/transaction-claim.js';
import { IdempotencyRepository, type IdempotentRequest, type StoredKey, type StoredResponse } from './idempotency.repository.js';

export type { IdempotentRequest, StoredResponse };

/** How long an answer is kept and replayed. */
export const IDEMPOTENCY_TTL_HOURS = 24;
/**
 * A key left `in_progress` by an earlier version of the service (which reserved keys in a
 * statement of their own) counts as abandoned this long after its reservation: no request
 * legitimately ran longer, as every statement is bounded.
 */
export const ABANDONED_AFTER_SECONDS = 60;
const LIMITS = { ttlHours: IDEMPOTENCY_TTL_HOURS, abandonedAfterSeconds: ABANDONED_AFTER_SECONDS };
const CLEANUP_INTERVAL_MS = 15 * 60 * 1000;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** What a key says of a request: run it (`reserved`), send the stored answer, 409 or 422. */
export type KeyState = { outcome: 'reserved' } | { outcome: 'replay'; response: StoredResponse } | { outcome: 'in-progress' } | { outcome: 'mismatch' };

/** The key turned out to belong to another request, or to be answered already, once the request ran: its transaction is rolled back. */
export class KeyTaken extends Error {
  constructor(readonly state: Exclude<KeyState, { outcome: 'reserved' }>) {
    super(`the Idempotency-Key is ${state.outcome}`);
  }
}

/**
 * One request's use of its key. As the request's {@link TransactionClaim}, its write transaction
 * takes the key's transaction lock first (a second request with the key is told "in progress"
 * for as long as the transaction runs, and no longer) and stores the answer last, so the answer
 * commits with the write or not at all: a retry after a COMMIT whose outcome was lost finds the
 * answer if the write committed, and runs the request if it did not.
 */
export class KeyUse implements TransactionClaim {
  /** The answer stored with the committed write, if there was one. */
  storedWithWrite: StoredResponse | undefined;
  /** The key was found taken once the request ran: nothing of this request is kept. */
  taken = false;
  private pending: StoredResponse | undefined;

  constructor(
    private readonly keys: IdempotencyRepository,
    readonly request: IdempotentRequest,
    private readonly answerStatus: number,
    private readonly count: (state: KeyState) => void,
  ) {}

  async claim(tx: Queryable): Promise<void> {
    const { held, existing } = await this.keys.claim(tx, this.request, LIMITS);
    this.refuseUnless(held ? stateOf(this.request, existing) : { outcome: 'in-progress' });
  }

  async answer(tx: Queryable, result: unknown): Promise<void> {
    const response = { status: this.answerStatus, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(result) };
    if (await this.keys.keep(this.request, response, LIMITS, tx)) {
      this.pending = response;
      return;
    }
    this.refuseUnless(stateOf(this.request, await this.keys.find(this.request, LIMITS, tx)));
  }

  committed(): void {
    this.storedWithWrite = this.pending;
  }

  private refuseUnless(state: KeyState): void {
    if (state.outcome === 'reserved') return;
    this.taken = true;
    this.count(state);
    throw new KeyTaken(state);
  }
}

/** The rule of a key: absent (or abandoned) runs the request, another body is 422, a running one 409, an answer is replayed. */
function stateOf(request: IdempotentRequest, existing: StoredKey | undefined): KeyState {
  if (!existing || existing.abandoned) return { outcome: 'reserved' };
  if (existing.request_hash !== request.requestHash) return { outcome: 'mismatch' };
  if (existing.state === 'in_progress') return { outcome: 'in-progress' };
  return {
    outcome: 'replay',
    response: { status: existing.response_status!, contentType: existing.response_content_type ?? JSON_CONTENT_TYPE, body: existing.response_body! },
  };
}

/** Idempotency keys in PostgreSQL, so that every instance of the service sees the same ones. */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Idempotency');
  private cleanup: NodeJS.Timeout | undefined;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly repository: IdempotencyRepository,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter({
      name: 'idempotency_key_outcomes_total',
      help: 'POSTs with an Idempotency-Key, by what the key decided: `reserved` (the request runs), `replay` (the stored answer is sent again), `in-progress` (409), `mismatch` (422).',
      labelNames: ['outcome'],
    });
  }

  onModuleInit(): void {
    this.cleanup = setInterval(() => {
      this.deleteExpired().catch((error: unknown) => this.logger.warn(`could not delete expired idempotency keys: ${String(error)}`));
    }, CLEANUP_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanup);
  }

  /** What the key says before the request runs. */
  async lookup(request: IdempotentRequest): Promise<KeyState> {
    const state = stateOf(request, await this.repository.find(request, LIMITS));
    this.count(state);
    return state;
  }

  /** The key's use by a request that runs; `answerStatus` is the status its handler answers with. */
  use(request: IdempotentRequest, answerStatus: number): KeyUse {
    return new KeyUse(this.repository, request, answerStatus, (state) => this.count(state));
  }

  /**
   * Settles the key once the answer is sent. An answer stored with the write stays (corrected if
   * the answer sent differs, which a handler that answers its transaction's result never does). An
   * answer that says to try again later (5xx, or Retry-After) is not kept: if a write committed, its
   * answer did too. Any other answer given without a write (a refusal, a dry run, work that spans
   * transactions) is kept now, unless another one stands.
   */
  async settle(use: KeyUse, response: StoredResponse | undefined, tryAgainLater: boolean): Promise<void> {
    if (use.taken) return;
    const stored = use.storedWithWrite;
    if (stored) {
      if (!response || tryAgainLater || sameResponse(stored, response)) return;
      this.logger.warn({ msg: 'the answer sent differs from the one stored with the write; storing the one sent', status: response.status });
      await this.repository.replace(use.request, response);
      return;
    }
    if (!response || tryAgainLater) return;
    await this.repository.keep(use.request, response, LIMITS);
  }

  private count(state: KeyState): void {
    this.outcomes.inc({ outcome: state.outcome });
  }

  /** Expired keys are ignored and overwritten anyway; this only keeps the table small. */
  deleteExpired(): Promise<number> {
    return this.repository.deleteExpired();
  }
}

function sameResponse(a: StoredResponse, b: StoredResponse): boolean {
  return a.status === b.status && a.body === b.body && a.contentType === b.contentType;
}
