import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { markRoutineAnswer, requestLogLevel } from '../../src/common/logging/loggers.js';

const answered = (statusCode: number) => ({ statusCode }) as ServerResponse;

describe('requestLogLevel', () => {
  it('logs successes and client faults at info, server faults at error', () => {
    const request = {} as IncomingMessage;
    assert.equal(requestLogLevel(request, answered(201)), 'info');
    assert.equal(requestLogLevel(request, answered(404)), 'info');
    assert.equal(requestLogLevel(request, answered(429)), 'info');
    assert.equal(requestLogLevel(request, answered(500)), 'error');
    assert.equal(requestLogLevel(request, answered(503)), 'error');
  });

  it('logs a routine refusal, such as a 503 while shutting down, at info', () => {
    const request = {} as IncomingMessage;
    markRoutineAnswer(request);
    assert.equal(requestLogLevel(request, answered(503)), 'info');
  });

  it('warns when the answer could not be written', () => {
    assert.equal(requestLogLevel({} as IncomingMessage, answered(200), new Error('write EPIPE')), 'warn');
  });
});
