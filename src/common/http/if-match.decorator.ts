import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The request's If-Match header, for the service to evaluate with {@link assertIfMatch}.
 * Documented for every PUT by the OpenAPI post-processing (write-safety.openapi.ts).
 */
export const IfMatch = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers['if-match'];
  return Array.isArray(value) ? value.join(', ') : value;
});
