import { Injectable } from '@nestjs/common';
import { DatabaseLock } from '../database/database-lock.js';
import { Sql, type Queryable } from '../database/sql.js';

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
  /** A reservation left `in_progress` by an earlier version of the service whose request died. */
  abandoned: boolean;
}

export interface KeyLimits {
  ttlHours: number;
  abandonedAfterSeconds: number;
}

/** The columns of a StoredKey; `$3` is the abandonment age in seconds. */
const KEY_COLUMNS = `k.request_hash, k.state, k.response_status, k.response_content_type, k.response_body,
       (k.state = 'in_progress' AND k.reserved_at <= now() - make_interval(secs => $3)) AS abandoned`;

/** The SQL of the idempotency_keys table. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly sql: Sql) {}

  /** The key as it stands, unless it has expired. */
  async find(request: IdempotentRequest, limits: KeyLimits, on: Queryable = this.sql): Promise<StoredKey | undefined> {
    const [existing] = await on.query<StoredKey>(`SELECT ${KEY_COLUMNS} FROM idempotency_keys k WHERE k.scope = $1 AND k.key = $2 AND k.expires_at > now()`, [
      request.scope,
      request.key,
      limits.abandonedAfterSeconds,
    ]);
    return existing;
  }

  /**
   * In the transaction that writes for the key: takes the key's transaction lock, which it holds
   * until it ends (false when another transaction holds it), and reads the key as it stands.
   */
  async claim(tx: Queryable, request: IdempotentRequest, limits: KeyLimits): Promise<{ held: boolean; existing?: StoredKey }> {
    const [row] = await tx.query<{ held: boolean } & Partial<StoredKey>>(
      `SELECT pg_try_advisory_xact_lock($4, hashtext($1 || chr(10) || $2)) AS held, ${KEY_COLUMNS}
       FROM (VALUES (1)) AS one
       LEFT JOIN idempotency_keys k ON k.scope = $1 AND k.key = $2 AND k.expires_at > now()`,
      [request.scope, request.key, limits.abandonedAfterSeconds, DatabaseLock.IdempotencyKey],
    );
    return { held: row.held, existing: row.request_hash ? (row as StoredKey) : undefined };
  }

  /**
   * Stores the answer to replay: a new key, an expired one, or a reservation abandoned by an
   * earlier version of the service becomes this answer; false when another answer stands.
   */
  async keep(request: IdempotentRequest, response: StoredResponse, limits: KeyLimits, on: Queryable = this.sql): Promise<boolean> {
    const kept = await on.query(
      `INSERT INTO idempotency_keys AS k
         (scope, key, request_hash, reservation_id, state, response_status, response_content_type, response_body, reserved_at, expires_at)
       VALUES ($1, $2, $3, gen_random_uuid(), 'completed', $4, $5, $6, now(), now() + make_interval(hours => $7))
       ON CONFLICT (scope, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, reservation_id = EXCLUDED.reservation_id, state = 'completed',
             response_status = EXCLUDED.response_status, response_content_type = EXCLUDED.response_content_type,
             response_body = EXCLUDED.response_body, reserved_at = EXCLUDED.reserved_at, expires_at = EXCLUDED.expires_at
         WHERE k.expires_at <= now()
            OR (k.state = 'in_progress' AND k.request_hash = EXCLUDED.request_hash AND k.reserved_at <= now() - make_interval(secs => $8))
       RETURNING 1`,
      [request.scope, request.key, request.requestHash, response.status, response.contentType, response.body, limits.ttlHours, limits.abandonedAfterSeconds],
    );
    return kept.length > 0;
  }

  /** Replaces a stored answer of this request (the one sent turned out to differ from the one stored with the write). */
  async replace(request: IdempotentRequest, response: StoredResponse): Promise<void> {
    await this.sql.query(
      `UPDATE idempotency_keys SET response_status = $4, response_content_type = $5, response_body = $6
       WHERE scope = $1 AND key = $2 AND request_hash = $3 AND state = 'completed'`,
      [request.scope, request.key, request.requestHash, response.status, response.contentType, response.body],
    );
  }

  async deleteExpired(): Promise<number> {
    const [{ deleted }] = await this.sql.query<{ deleted: number }>(
      'WITH gone AS (DELETE FROM idempotency_keys WHERE expires_at <= now() RETURNING 1) SELECT count(*)::int AS deleted FROM gone',
    );
    return deleted;
  }
}
