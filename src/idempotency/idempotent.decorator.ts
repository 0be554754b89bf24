import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ANSWER_KEPT_AFTER_SENDING, IdempotencyInterceptor } from './idempotency.interceptor.js';

export interface IdempotentOptions {
  /**
   * For work that spans transactions and is safe to run again (a sweep): its answer is kept once
   * sent rather than with a write, so a retry after a lost answer runs it again.
   */
  keptAfterSending?: boolean;
}

/**
 * A POST handler that honours Idempotency-Key. Every POST of the API has it; a test checks that
 * none is missed. Unless `keptAfterSending`, the handler answers with the result of its one write
 * transaction, which stores that answer with the write (see KeyUse).
 */
export const Idempotent = (options: IdempotentOptions = {}) =>
  applyDecorators(UseInterceptors(IdempotencyInterceptor), ...(options.keptAfterSending ? [SetMetadata(ANSWER_KEPT_AFTER_SENDING, true)] : []));
