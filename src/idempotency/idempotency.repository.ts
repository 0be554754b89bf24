import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';

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

export interface StoredKey {
  request_hash: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_content_type: string | null;
  response_body: string | null;
}

/** The SQL of the idempotency_keys table. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Reserves the key in one statement: a new key, an expired one, or an abandoned reservation of the
   * same request becomes this reservation's; false when the key stands as it is.
   */
  async take(request: IdempotentRequest, reservationId: string, limits: { ttlHours: number; abandonedAfterSeconds: number }): Promise<boolean> {
    const taken = await this.sql.query(
      `INSERT INTO idempotency_keys AS k (scope, key, request_hash, reservation_id, state, reserved_at, expires_at)
       VALUES ($1, $2, $3, $4, 'in_progress', now(), now() + make_interval(hours => $5))
       ON CONFLICT (scope, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, reservation_id = EXCLUDED.reservation_id, state = 'in_progress',
             response_status = NULL, response_content_type = NULL, response_body = NULL,
             reserved_at = EXCLUDED.reserved_at, expires_at = EXCLUDED.expires_at
         WHERE k.expires_at <= now()
            OR (k.state = 'in_progress' AND k.request_hash = EXCLUDED.request_hash AND k.reserved_at <= now() - make_interval(secs => $6))
       RETURNING 1`,
      [request.scope, request.key, request.requestHash, reservationId, limits.ttlHours, limits.abandonedAfterSeconds],
    );
    return taken.length > 0;
  }

  /** The key as it stands, unless it has expired. */
  async find(request: IdempotentRequest): Promise<StoredKey | undefined> {
    const [existing] = await this.sql.query<StoredKey>(
      `SELECT request_hash, state, response_status, response_content_type, response_body
       FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at > now()`,
      [request.scope, request.key],
    );
    return existing;
  }

  async complete(request: IdempotentRequest, reservationId: string, response: StoredResponse): Promise<void> {
    await this.sql.query(
      `UPDATE idempotency_keys
       SET state = 'completed', response_status = $4, response_content_type = $5, response_body = $6
       WHERE scope = $1 AND key = $2 AND reservation_id = $3`,
      [request.scope, request.key, reservationId, response.status, response.contentType, response.body],
    );
  }

  async release(request: IdempotentRequest, reservationId: string): Promise<void> {
    await this.sql.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND reservation_id = $3', [request.scope, request.key, reservationId]);
  }

  async deleteExpired(): Promise<number> {
    const [{ deleted }] = await this.sql.query<{ deleted: number }>(
      'WITH gone AS (DELETE FROM idempotency_keys WHERE expires_at <= now() RETURNING 1) SELECT count(*)::int AS deleted FROM gone',
    );
    return deleted;
  }
}
