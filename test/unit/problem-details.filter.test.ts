import { ArgumentsHost, ConflictException } from '@nestjs/common';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { QueryTimeoutError } from '../../src/common/errors/postgres-error.js';
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
    const http = { getRequest: () => ({ url: '/api/v1/things?x=1', id: 'req-1' }), getResponse: () => reply };
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

  it('answers a database that is not answering with 503 and Retry-After, revealing nothing internal', (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    t.mock.method(process.stdout, 'write', () => true);
    for (const error of [
      new QueryTimeoutError(1500),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      reply = new RecordingReply();
      filter.catch(error, host);
      assert.equal(reply.statusCode, 503);
      assert.equal(reply.headers['retry-after'], '1');
      assert.doesNotMatch(JSON.stringify(reply.body), /secret|127\.0\.0\.1|1500/);
    }
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
