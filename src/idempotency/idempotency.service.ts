import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { IdempotencyRepository, type IdempotentRequest, type StoredResponse } from './idempotency.repository.js';

export type { IdempotentRequest, StoredResponse };

/** How long a completed answer is kept and replayed. */
export const IDEMPOTENCY_TTL_HOURS = 24;
/**
 * A reservation older than this whose request never completed (its process died) is abandoned:
 * the next retry with the same body takes it over and runs. No request legitimately runs this long,
 * as every statement is bounded by statement_timeout and every pool wait by the connect timeout.
 */
export const ABANDONED_AFTER_SECONDS = 60;
const CLEANUP_INTERVAL_MS = 15 * 60 * 1000;

export type Reservation =
  { outcome: 'reserved'; reservationId: string } | { outcome: 'replay'; response: StoredResponse } | { outcome: 'in-progress' } | { outcome: 'mismatch' };

/** Idempotency keys in PostgreSQL, so that every instance of the service sees the same ones. */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Idempotency');
  private cleanup: NodeJS.Timeout | undefined;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly keys: IdempotencyRepository,
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

  /**
   * Reserves the key in one statement: a new key, an expired one, or an abandoned reservation of
   * the same request becomes ours; anything else is reported as it stands.
   */
  async reserve(request: IdempotentRequest): Promise<Reservation> {
    const reservation = await this.reserveOrReport(request);
    this.outcomes.inc({ outcome: reservation.outcome });
    return reservation;
  }

  private async reserveOrReport(request: IdempotentRequest): Promise<Reservation> {
    // A row can vanish between the two statements (its request failed, or it expired): look again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const reservationId = randomUUID();
      if (await this.keys.take(request, reservationId, { ttlHours: IDEMPOTENCY_TTL_HOURS, abandonedAfterSeconds: ABANDONED_AFTER_SECONDS })) {
        return { outcome: 'reserved', reservationId };
      }
      const existing = await this.keys.find(request);
      if (!existing) continue;
      if (existing.request_hash !== request.requestHash) return { outcome: 'mismatch' };
      if (existing.state === 'in_progress') return { outcome: 'in-progress' };
      return {
        outcome: 'replay',
        response: { status: existing.response_status!, contentType: existing.response_content_type ?? 'application/json', body: existing.response_body! },
      };
    }
    return { outcome: 'in-progress' };
  }

  /** Stores the answer to replay; a reservation that was taken over meanwhile is left to its new owner. */
  complete(request: IdempotentRequest, reservationId: string, response: StoredResponse): Promise<void> {
    return this.keys.complete(request, reservationId, response);
  }

  /** Frees the key after a failure, so that a retry runs the request again. */
  release(request: IdempotentRequest, reservationId: string): Promise<void> {
    return this.keys.release(request, reservationId);
  }

  /** Expired keys are ignored and overwritten anyway; this only keeps the table small. */
  deleteExpired(): Promise<number> {
    return this.keys.deleteExpired();
  }
}
