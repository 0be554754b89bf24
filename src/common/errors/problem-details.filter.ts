import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRoutineAnswer, markRoutineAnswer } from '../logging/loggers.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './postgres-error.js';
import { httpProblem, PROBLEM_CONTENT_TYPE } from './problem.js';
import { ProblemException } from './problem.exception.js';

/**
 * The one place where errors become HTTP answers: every failure leaves as RFC 9457
 * problem+json (built by httpProblem), and anything unexpected becomes a 500 that reveals
 * nothing internal.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = httpProblem(exception, request.url);
    if (exception instanceof ProblemException && exception.problem.routine) markRoutineAnswer(request.raw);
    // Client faults and routine refusals are told by the request's own line (info); only server faults need their cause.
    if (problem.status >= 500 && !isRoutineAnswer(request.raw)) {
      this.logger.error({ msg: 'error while handling the request', err: exception });
    }
    const retryAfterSeconds =
      exception instanceof ProblemException ? exception.problem.retryAfterSeconds : isDatabaseUnavailable(exception) ? DATABASE_RETRY_AFTER_SECONDS : undefined;
    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }
}
