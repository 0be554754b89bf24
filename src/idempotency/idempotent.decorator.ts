import { UseInterceptors } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

/** A POST handler that honours Idempotency-Key. Every POST of the API has it; a test checks that none is missed. */
export const Idempotent = () => UseInterceptors(IdempotencyInterceptor);
