import { CanActivate, ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { FastifyRequest } from 'fastify';
import { ValidationProblem } from '../errors/problem.exception.js';
import { undeclaredProblem } from './strict-validation.pipe.js';

const QUERY_ARGUMENT = `${RouteParamtypes.QUERY}:`;
const takesQuery = new WeakMap<object, boolean>();

/**
 * The validation pipe checks the query of a handler that takes one (`@Query()`); a handler that
 * takes none has no query parameters at all, so any query key there is 400 too, not ignored.
 */
export class UndeclaredQueryGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let declared = takesQuery.get(handler);
    if (declared === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, unknown>;
      declared = Object.keys(args).some((key) => key.startsWith(QUERY_ARGUMENT));
      takesQuery.set(handler, declared);
    }
    const query = context.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown> | undefined;
    const keys = declared || !query ? [] : Object.keys(query);
    if (keys.length > 0) throw new ValidationProblem(keys.map((key) => undeclaredProblem(key, 'query')));
    return true;
  }
}
