import { ArgumentsHost, ConflictException, Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { beforeEach, describe, it } from 'node:test';
import { DatabaseUnavailableError, QueryTimeoutError } from '../../src/common/errors/postgres-error.js';
import { isRoutineAnswer } from '../../src/common/logging/loggers.js';
import { ProblemDetailsFilter } from '../../src/common/errors/problem-details.filter.js';
import { ProblemException, ValidationProblem } from '../../src/common/errors/problem.exception.js';

/** A stand-in for Fastify's reply that records what the filter sends. */
class RecordingReply {
  statusCode = 0;
  headers: Record<string, string> = {};
  body: unknown;
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  header(name: string, value: string) {
    this.headers[name] = value;
    return this;
  }
  send(body: unknown) {
    this.body = body;
    return this;
  }
}

describe('ProblemDetailsFilter', () => {
  let reply: RecordingReply;
  let host: ArgumentsHost;
  const filter = new ProblemDetailsFilter();

  beforeEach(() => {
    reply = new RecordingReply();
    const http = { getRequest: () => ({ url: '/api/v1/things?x=1', id: 'req-1', raw: {} }), getResponse: () => reply };
    host = { switchToHttp: () => http } as unknown as ArgumentsHost;
  });

  it('writes a Nest exception as problem+json with its status and message', () => {
    filter.catch(new ConflictException('already paused'), host);
    assert.equal(reply.statusCode, 409);
    assert.equal(reply.headers['content-type'], 'application/problem+json');
    assert.deepEqual(reply.body, { type: 'about:blank', title: 'Conflict', status: 409, detail: 'already paused', instance: '/api/v1/things?x=1' });
  });

  it('keeps the type, field errors and extension members of a ProblemException', () => {
    filter.catch(new ValidationProblem([{ field: 'limit', message: 'limit must not be greater than 100' }]), host);
    assert.deepEqual(reply.body, {
      type: '/problems/validation-error',
      title: 'Bad Request',
      status: 400,
      detail: 'limit must not be greater than 100',
      instance: '/api/v1/things?x=1',
      errors: [{ field: 'limit', message: 'limit must not be greater than 100' }],
    });
    filter.catch(new ProblemException(409, 'taken', { type: '/problems/active-suppression-exists', extensions: { suppression_id: 'abc', status: 999 } }), host);
    const body = reply.body as Record<string, unknown>;
    assert.equal(body.suppression_id, 'abc');
    assert.equal(body.status, 409, 'an extension cannot overwrite a standard member');
  });

  it('writes standard members first, then extensions, and Retry-After when the problem asks for a later retry', () => {
    filter.catch(new ProblemException(409, 'busy', { extensions: { suppression_id: 'abc' }, retryAfterSeconds: 5 }), host);
    assert.deepEqual(Object.keys(reply.body as object), ['type', 'title', 'status', 'detail', 'instance', 'suppression_id']);
    assert.equal(reply.headers['retry-after'], '5');
    reply = new RecordingReply();
    filter.catch(new ProblemException(409, 'final'), host);
    assert.equal(reply.headers['retry-after'], undefined);
  });

  it('answers a database that is not answering with 503 and Retry-After, revealing nothing internal, with one warning per interval instead of an error per request', (t) => {
    const errors = t.mock.method(Logger.prototype, 'error', () => undefined);
    const warnings = t.mock.method(Logger.prototype, 'warn', () => undefined);
    const unavailable = new ProblemDetailsFilter();
    const raws: IncomingMessage[] = [];
    for (const error of [
      new QueryTimeoutError(1500),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      reply = new RecordingReply();
      const raw = {} as IncomingMessage;
      raws.push(raw);
      const http = { getRequest: () => ({ url: '/api/v1/things', id: 'req-3', raw }), getResponse: () => reply };
      unavailable.catch(error, { switchToHttp: () => http } as unknown as ArgumentsHost);
      assert.equal(reply.statusCode, 503);
      assert.equal(reply.headers['retry-after'], '1');
      assert.doesNotMatch(JSON.stringify(reply.body), /secret|127\.0\.0\.1|1500/);
    }
    assert.equal(errors.mock.callCount(), 0);
    assert.equal(warnings.mock.callCount(), 1, 'the first one says why; the others within the interval are counted for the next');
    assert.ok(raws.every(isRoutineAnswer), 'their request lines are logged at info');
  });

  it('answers 503 with Retry-After while the primary is known not to answer, with no error line per request: its breaker logged the outage once', (t) => {
    const raw = {} as IncomingMessage;
    const http = { getRequest: () => ({ url: '/api/v1/things', id: 'req-2', raw }), getResponse: () => reply };
    const errors = t.mock.method(Logger.prototype, 'error', () => undefined);
    filter.catch(new DatabaseUnavailableError('the primary database is not answering (fail-fast breaker open since: a timeout)'), {
      switchToHttp: () => http,
    } as unknown as ArgumentsHost);
    assert.equal(reply.statusCode, 503);
    assert.equal(reply.headers['retry-after'], '1');
    assert.doesNotMatch(JSON.stringify(reply.body), /breaker/);
    assert.equal(errors.mock.callCount(), 0);
    assert.equal(isRoutineAnswer(raw), true, 'its request line is logged at info');
  });

  it("keeps the status and message of Fastify's own client errors", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    filter.catch(tooLarge, host);
    assert.equal(reply.statusCode, 413);
    assert.equal((reply.body as { detail: string }).detail, 'Request body is too large');
  });

  it('redacts credentials given in the query from the instance', () => {
    const http = { getRequest: () => ({ url: '/api/v1/things?token=s3cret&x=1', id: 'req-2' }), getResponse: () => reply };
    filter.catch(new ConflictException('taken'), { switchToHttp: () => http } as unknown as ArgumentsHost);
    assert.equal((reply.body as { instance: string }).instance, '/api/v1/things?token=[REDACTED]&x=1');
  });

  it('answers an upload the client gave up on as a client fault', () => {
    filter.catch(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), host);
    assert.equal(reply.statusCode, 400);
  });

  it('turns anything unexpected into a 500 that reveals nothing internal', (t) => {
    t.mock.method(console, 'error', () => undefined);
    t.mock.method(process.stderr, 'write', () => true);
    const internal = Object.assign(new Error('relation "secret_table" does not exist'), { statusCode: 400 });
    filter.catch(internal, host);
    assert.equal(reply.statusCode, 500);
    assert.equal(reply.headers['content-type'], 'application/problem+json');
    assert.doesNotMatch(JSON.stringify(reply.body), /secret_table/);
    assert.equal((reply.body as { title: string }).title, 'Internal Server Error');
  });
});
