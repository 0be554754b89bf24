import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { Repository } from 'typeorm';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { IdempotencyKey } from './idempotency-key.entity.js';

/** How long a completed answer is kept and replayed. */
export const IDEMPOTENCY_TTL_HOURS = 24;
/**
 * A reservation older than this whose request never completed (its process died) is abandoned:
 * the next retry with the same body takes it over and runs. No request legitimately runs this long,
 * as every statement is bounded by statement_timeout and every pool wait by the connect timeout.
 */
export const ABANDONED_AFTER_SECONDS = 60;
const CLEANUP_INTERVAL_MS = 15 * 60 * 1000;

export interface IdempotentRequest {
  /** The caller's API-key name, or '' while writes are open. */
  scope: string;
  key: string;
  requestHash: string;
}

export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

export type Reservation =
  { outcome: 'reserved'; reservationId: string } | { outcome: 'replay'; response: StoredResponse } | { outcome: 'in-progress' } | { outcome: 'mismatch' };

interface ExistingRow {
  request_hash: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_content_type: string | null;
  response_body: string | null;
}

/** Idempotency keys in PostgreSQL, so that every instance of the service sees the same ones. */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Idempotency');
  private cleanup: NodeJS.Timeout | undefined;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    @InjectRepository(IdempotencyKey) private readonly keys: Repository<IdempotencyKey>,
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
      const taken: unknown[] = await this.keys.query(
        `INSERT INTO idempotency_keys AS k (scope, key, request_hash, reservation_id, state, reserved_at, expires_at)
         VALUES ($1, $2, $3, $4, 'in_progress', now(), now() + make_interval(hours => $5))
         ON CONFLICT (scope, key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, reservation_id = EXCLUDED.reservation_id, state = 'in_progress',
               response_status = NULL, response_content_type = NULL, response_body = NULL,
               reserved_at = EXCLUDED.reserved_at, expires_at = EXCLUDED.expires_at
           WHERE k.expires_at <= now()
              OR (k.state = 'in_progress' AND k.request_hash = EXCLUDED.request_hash AND k.reserved_at <= now() - make_interval(secs => $6))
         RETURNING 1`,
        [request.scope, request.key, request.requestHash, reservationId, IDEMPOTENCY_TTL_HOURS, ABANDONED_AFTER_SECONDS],
      );
      if (taken.length > 0) return { outcome: 'reserved', reservationId };
      const [existing]: ExistingRow[] = await this.keys.query(
        `SELECT request_hash, state, response_status, response_content_type, response_body
         FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at > now()`,
        [request.scope, request.key],
      );
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
  async complete(request: IdempotentRequest, reservationId: string, response: StoredResponse): Promise<void> {
    await this.keys.query(
      `UPDATE idempotency_keys
       SET state = 'completed', response_status = $4, response_content_type = $5, response_body = $6
       WHERE scope = $1 AND key = $2 AND reservation_id = $3`,
      [request.scope, request.key, reservationId, response.status, response.contentType, response.body],
    );
  }

  /** Frees the key after a failure, so that a retry runs the request again. */
  async release(request: IdempotentRequest, reservationId: string): Promise<void> {
    await this.keys.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND reservation_id = $3', [request.scope, request.key, reservationId]);
  }

  /** Expired keys are ignored and overwritten anyway; this only keeps the table small. */
  async deleteExpired(): Promise<number> {
    const [, deleted]: [unknown, number] = await this.keys.query('DELETE FROM idempotency_keys WHERE expires_at <= now()');
    return deleted;
  }
}
