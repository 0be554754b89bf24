import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

type SpanProcessor = NonNullable<NodeSDKConfiguration['spanProcessors']>[number];

/** Probes come every few seconds from every orchestrator and balancer: as traces they would only bury the requests. */
const PROBE = /^\/health(?:[/?]|$)/;

export interface TracingOptions {
  serviceName: string;
  /** Where finished spans go; unset: the OTLP exporter the SDK builds from the OTEL_* variables (OTLP/HTTP unless they say otherwise). */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts OpenTelemetry tracing: a server span per HTTP request, named by its route template
 * (@fastify/otel gives the route to the HTTP instrumentation's span), with the request's queries
 * (pg) inside it; an incoming W3C `traceparent` is continued. The instrumentations patch `http`,
 * `fastify` and `pg` as they are loaded, so this must run before anything imports them: main.ts
 * imports the app only after it. This module alone loads the SDK, and only when tracing is on.
 */
export function startTracing(options: TracingOptions): NodeSDK {
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    ...(options.spanProcessors && { spanProcessors: options.spanProcessors }),
    // Traces only (the metrics are Prometheus's): without these the SDK also starts OTLP metric and
    // log exporters, which retry an absent collector and hold up the shutdown by seconds.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => PROBE.test(request.url ?? ''), requireParentforOutgoingSpans: true }),
      // Hook spans off: one span per Fastify hook per request says little and costs much; the handler span covers Nest's pipeline.
      new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false, ignorePaths: ({ url }) => PROBE.test(url) }),
      // Only queries made for a traced request: the health checks' and the scheduler's stay out.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return sdk;
}
