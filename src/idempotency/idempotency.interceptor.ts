import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { catchError, Observable, of } from 'rxjs';
import { callerName } from '../common/auth/write-auth.guard.js';
import { ProblemException } from '../common/errors/problem.exception.js';
import { withTransactionClaim } from '../database/transaction-claim.js';
import { IdempotencyService, KeyTaken, type KeyState, type KeyUse } from './idempotency.service.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Metadata of a handler whose answer is kept once sent, not with a write (see Idempotent). */
export const ANSWER_KEPT_AFTER_SENDING = 'idempotency:answer-kept-after-sending';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** Printable ASCII without spaces: a UUID, a ULID or any opaque token of the caller's. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so that the same body always hashes the same however it was written. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? '';
}

function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method}\n${request.url}\n${canonicalJson(request.body)}`)
    .digest('hex');
}

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const given = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (given === undefined) return undefined;
  if (typeof given !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(given)) {
    throw new ProblemException(400, 'Idempotency-Key must be one value of 1 to 255 printable ASCII characters without spaces.', {
      type: '/problems/validation-error',
      errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters without spaces' }],
    });
  }
  return given;
}

/**
 * The requests that run with a key, for the onSend hook to settle. Shared: every module whose
 * controllers use the interceptor has an instance of its own.
 */
const uses = new WeakMap<FastifyRequest, KeyUse>();

/**
 * `Idempotency-Key` on POST: the first request with a key runs and its answer (2xx or 4xx) is
 * kept for 24 hours; a retry with the same key and body gets that answer again without running.
 * A write's answer is stored in its own transaction (KeyUse, the transaction's claim); any other
 * answer by {@link IdempotencyInterceptor.recordOutcome}, a Fastify onSend hook, because only there
 * is the final answer known, whether the handler or the filter wrote it.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(private readonly idempotency: IdempotencyService) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.method !== 'POST') return next.handle();
    const key = idempotencyKeyOf(request);
    if (key === undefined) return next.handle();
    const idempotent = { scope: callerName(request) ?? '', key, requestHash: requestHash(request) };
    const state = await this.idempotency.lookup(idempotent);
    if (state.outcome !== 'reserved') return answerFromKey(context, state);
    const handler = context.getHandler();
    const use = this.idempotency.use(idempotent, (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? 201);
    uses.set(request, use);
    // The claim must be current when Nest binds the handler's async scope, which next.handle() does.
    const handled = Reflect.getMetadata(ANSWER_KEPT_AFTER_SENDING, handler) ? next.handle() : withTransactionClaim(use, () => next.handle());
    return handled.pipe(
      catchError((error: unknown) => {
        if (error instanceof KeyTaken) return answerFromKey(context, error.state);
        throw error;
      }),
    );
  }

  /** Keeps the answer of a request that ran with a key (see IdempotencyService.settle). */
  readonly recordOutcome = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void => {
    const use = uses.get(request);
    // Most requests have no key: they pass without a promise of their own.
    if (!use) return done(null, payload);
    uses.delete(request);
    void this.settle(use, reply, payload).then(() => done(null, payload));
  };

  private async settle(use: KeyUse, reply: FastifyReply, payload: unknown): Promise<void> {
    const tryAgainLater = reply.statusCode >= 500 || reply.getHeader('retry-after') !== undefined;
    const response =
      typeof payload === 'string'
        ? { status: reply.statusCode, contentType: String(reply.getHeader('content-type') ?? 'application/json'), body: payload }
        : undefined;
    try {
      await this.idempotency.settle(use, response, tryAgainLater);
    } catch (error) {
      // The answer still goes out; a retry then runs the request, which has written nothing.
      this.logger.warn({ msg: 'could not keep the answer of an idempotent request', error: String(error) });
    }
  }
}

/** The answer a key gives instead of running the request: the stored one again, or 409 / 422. */
function answerFromKey(context: ExecutionContext, state: Exclude<KeyState, { outcome: 'reserved' }>): Observable<unknown> {
  switch (state.outcome) {
    case 'mismatch':
      throw new ProblemException(422, 'This Idempotency-Key was already used with a different request; use a new key for a new request.', {
        type: '/problems/idempotency-key-reused',
      });
    case 'in-progress':
      throw new ProblemException(409, 'A request with this Idempotency-Key is still being processed; retry once it has finished.', {
        type: '/problems/idempotency-key-in-progress',
      });
    case 'replay': {
      const reply = context.switchToHttp().getResponse<FastifyReply>();
      const { status, contentType, body } = state.response;
      void reply.status(status).header('content-type', contentType).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
      return of(body);
    }
  }
}

/**
 * Settles the keys that the POST handlers (each marked {@link Idempotent}) reserved, once their
 * answer is known. The interceptor sits on those handlers rather than globally: a global
 * interceptor puts Nest's interceptor machinery in front of every GET too, a visible share of the
 * cost of a cheap read in `npm run bench`.
 */
export function installIdempotency(app: NestFastifyApplication): void {
  app.getHttpAdapter().getInstance().addHook('onSend', app.get(IdempotencyInterceptor).recordOutcome);
}
