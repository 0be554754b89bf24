import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, Observable } from 'rxjs';
import { etagOf } from './etag.js';

/**
 * Every successful GET answer carries a strong ETag of its JSON, so that a client can send it
 * back in If-Match on a PUT (see {@link assertIfMatch}) and never overwrite a change it did not see.
 */
@Injectable()
export class ETagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.method !== 'GET') return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        if (reply.statusCode === 200 && body !== null && typeof body === 'object') void reply.header('etag', etagOf(body));
        return body;
      }),
    );
  }
}
