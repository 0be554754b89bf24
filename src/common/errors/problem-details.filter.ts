import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRoutineAnswer, markRoutineAnswer } from '../logging/loggers.js';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError, isDatabaseUnavailable } from './postgres-error.js';
import { httpProblem, PROBLEM_CONTENT_TYPE } from './problem.js';
import { ProblemException } from './problem.exception.js';

/** At most one line per this interval tells why the database is unavailable; the next counts the 503s in between. */
const DATABASE_WARNING_INTERVAL_MS = 10_000;

/**
 * The one place where errors become HTTP answers: every failure leaves as RFC 9457
 * problem+json (built by httpProblem), and anything unexpected becomes a 500 that reveals
 * nothing internal.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');
  private lastDatabaseWarningAt = Number.NEGATIVE_INFINITY;
  private databaseUnavailableSince = 0;

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = httpProblem(exception, request.url);
    if (exception instanceof ProblemException && exception.problem.routine) markRoutineAnswer(request.raw);
    if (isDatabaseUnavailable(exception)) {
      // An outage, a failover: expected, and told by warnings, not by an error line per request.
      markRoutineAnswer(request.raw);
      // The primary's breaker logged the outage once as it opened: the requests it refuses meanwhile need no line of their own.
      if (!(exception instanceof DatabaseUnavailableError)) this.warnDatabaseUnavailable(exception);
    }
    // Client faults and routine refusals are told by the request's own line (info); only server faults need their cause.
    if (problem.status >= 500 && !isRoutineAnswer(request.raw)) {
      this.logger.error({ msg: 'error while handling the request', err: exception });
    }
    const retryAfterSeconds =
      exception instanceof ProblemException ? exception.problem.retryAfterSeconds : isDatabaseUnavailable(exception) ? DATABASE_RETRY_AFTER_SECONDS : undefined;
    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }

  /** The cause of a 503 the database caused, at warn, once per {@link DATABASE_WARNING_INTERVAL_MS}. */
  private warnDatabaseUnavailable(cause: unknown): void {
    const now = performance.now();
    if (now - this.lastDatabaseWarningAt < DATABASE_WARNING_INTERVAL_MS) {
      this.databaseUnavailableSince++;
      return;
    }
    this.logger.warn({
      msg: 'the database is unavailable: requests get 503 with Retry-After',
      err: cause,
      ...(this.databaseUnavailableSince > 0 && { more_503s_since_last_warning: this.databaseUnavailableSince }),
    });
    this.lastDatabaseWarningAt = now;
    this.databaseUnavailableSince = 0;
  }
}
