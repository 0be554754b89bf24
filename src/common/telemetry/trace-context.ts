import { context, propagation, trace } from '@opentelemetry/api';

/**
 * `trace_id` and `span_id` of the span active where a line is logged, for the log's mixin, so that
 * every line of a traced request leads to its trace. Nothing when no span is active, as always
 * while tracing is off (the API alone is loaded then, and answers this with a lookup). Always a
 * new object: pino merges the line's own fields into it.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}

/**
 * The W3C `traceparent` of the active span, for an outgoing call (a webhook) to continue the trace
 * of the request or job that makes it; undefined while tracing is off or outside any span.
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}
