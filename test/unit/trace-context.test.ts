import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { currentTraceparent, traceLogFields } from '../../src/common/telemetry/trace-context.js';

/** This process never starts the SDK, as the service runs without OTEL_EXPORTER_OTLP_ENDPOINT (test/system/tracing covers it on). */
describe('trace context with tracing off', () => {
  it('adds nothing to log lines and gives no traceparent, even inside a span', () => {
    assert.deepEqual(traceLogFields(), {});
    assert.equal(currentTraceparent(), undefined);
    trace.getTracer('test').startActiveSpan('work', (span) => {
      assert.deepEqual(traceLogFields(), {});
      assert.equal(currentTraceparent(), undefined);
      span.end();
    });
  });
});
