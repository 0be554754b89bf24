import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { TestApp } from '../support/test-app.js';

/*
 * The instrumentations patch http, fastify and pg as they are loaded, so this file (a process of
 * its own under the test runner) starts the SDK before it imports anything that loads them, as
 * main.ts does: everything of the app is imported dynamically below.
 */
const exporter = new InMemorySpanExporter();
const { startTracing } = await import('../../src/common/telemetry/tracing.js');
const sdk = startTracing({ serviceName: 'mss-tracing-test', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const { startTestApp } = await import('../support/test-app.js');
const { waitUntil } = await import('../support/poll.js');
const { WebhookReceiver } = await import('../support/webhook-receiver.js');
const { currentTraceparent } = await import('../../src/common/telemetry/trace-context.js');

const API_KEY = 'tracing-key-5b2e8d0c7a194f36';
type Line = Record<string, unknown>;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The span's ancestors within its trace, nearest first. */
function ancestors(span: ReadableSpan, spans: ReadableSpan[]): ReadableSpan[] {
  const byId = new Map(spans.map((candidate) => [candidate.spanContext().spanId, candidate]));
  const chain: ReadableSpan[] = [];
  for (let parent = byId.get(span.parentSpanContext?.spanId ?? ''); parent; parent = byId.get(parent.parentSpanContext?.spanId ?? '')) chain.push(parent);
  return chain;
}

describe('tracing (OpenTelemetry SDK started before the app loads)', () => {
  let t: TestApp;
  let base: string;
  const written: string[] = [];
  const linesOf = (requestId: string): Line[] => written.map((line) => JSON.parse(line) as Line).filter((line) => line.request_id === requestId);
  const serverSpanOf = (traceId: string) => exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER && span.spanContext().traceId === traceId);

  const receiver = new WebhookReceiver();
  let hooks: string;

  before(async () => {
    hooks = await receiver.start();
    t = await startTestApp(
      { LOG_LEVEL: 'info', API_KEYS: `tracing:${API_KEY}`, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' },
      { logDestination: { write: (line: string) => void written.push(line) } },
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  after(async () => {
    await t.close();
    await receiver.stop();
    await sdk.shutdown();
  });

  it('continues an incoming traceparent: one server span named by the route template, its queries inside it, the trace id on every log line', async () => {
    const put = await fetch(`${base}/api/v1/mentors/mntr_traced`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ full_name: 'Traced Tam', chapter_id: 'chpt_trace' }),
    });
    assert.equal(put.status, 201);
    const posted = await fetch(`${base}/api/v1/mentor-statuses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mentor_id: 'mntr_traced', status: 'active', changed_by: 'user_trace' }),
    });
    assert.equal(posted.status, 201);
    const { mentor_status_id: id } = (await posted.json()) as { mentor_status_id: string };

    const traceId = hex(16);
    const callerSpanId = hex(8);
    const response = await fetch(`${base}/api/v1/mentor-statuses/${id}`, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01`, 'x-request-id': 'traced-get' },
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();

    await waitUntil(() => serverSpanOf(traceId) !== undefined, 'the server span is exported');
    const server = serverSpanOf(traceId)!;
    assert.equal(server.name, 'GET /api/v1/mentor-statuses/:id');
    assert.equal(server.parentSpanContext?.spanId, callerSpanId, "the caller's span is its parent");
    assert.equal(server.attributes['http.route'], '/api/v1/mentor-statuses/:id');

    const inTrace = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const queries = inTrace.filter((span) => span.instrumentationScope.name === '@opentelemetry/instrumentation-pg' && span.kind === SpanKind.CLIENT);
    assert.ok(queries.length > 0, `pg spans in the trace: ${inTrace.map((span) => span.name).join(', ')}`);
    for (const query of queries) {
      assert.ok(ancestors(query, inTrace).includes(server), `${query.name} is inside the server span`);
      assert.equal(query.attributes['db.system.name'] ?? query.attributes['db.system'], 'postgresql');
    }
    assert.equal(inTrace.filter((span) => span.kind === SpanKind.SERVER).length, 1, 'one server span per request');

    await waitUntil(() => linesOf('traced-get').some((line) => line.msg === 'request completed'), 'the request is logged');
    for (const line of linesOf('traced-get')) {
      assert.equal(line.trace_id, traceId, JSON.stringify(line));
      assert.match(String(line.span_id), /^[0-9a-f]{16}$/);
    }
  });

  it('starts a trace of its own for a request without traceparent', async () => {
    const response = await fetch(`${base}/api/v1/mentor-statuses?limit=5`, { headers: { 'x-request-id': 'traced-list' } });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    await waitUntil(() => linesOf('traced-list').some((line) => line.msg === 'request completed'), 'the request is logged');
    const traceId = String(linesOf('traced-list')[0].trace_id);
    assert.match(traceId, /^[0-9a-f]{32}$/);
    await waitUntil(() => serverSpanOf(traceId) !== undefined, 'the server span is exported');
    assert.equal(serverSpanOf(traceId)!.name, 'GET /api/v1/mentor-statuses');
    assert.equal(serverSpanOf(traceId)!.parentSpanContext, undefined);
  });

  it('names the span of a request that matches no route by its method alone, never by its URL', async () => {
    const path = '/no/such/route/msr_untraceable';
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 404);
    await response.arrayBuffer();
    const spanOf = () =>
      exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER && Object.values(span.attributes).some((value) => String(value).includes(path)));
    await waitUntil(() => spanOf() !== undefined, 'the server span is exported');
    assert.equal(spanOf()!.name, 'GET');
  });

  it('leaves the probes untraced', async () => {
    const before = exporter.getFinishedSpans().length;
    for (const path of ['/health', '/health/live', '/health/ready']) {
      assert.equal((await fetch(`${base}${path}`, { headers: { 'x-request-id': `probe${path.replaceAll('/', '.')}` } })).status, 200);
    }
    await waitUntil(() => linesOf('probe.health.ready').length > 0, 'the probes are logged');
    assert.deepEqual(
      exporter
        .getFinishedSpans()
        .slice(before)
        .map((span) => span.name),
      [],
    );
  });

  it("sends the writer's traceparent with the webhooks of the events it wrote, so the receiver continues the writer's trace", async () => {
    const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    const subscribed = await fetch(`${base}/api/v1/webhook-subscriptions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: `${hooks}/traced`, event_types: ['mentor.status.changed'] }),
    });
    assert.equal(subscribed.status, 201);
    const { subscription_id: subscriptionId } = (await subscribed.json()) as { subscription_id: string };
    const traceId = hex(16);
    const posted = await fetch(`${base}/api/v1/mentor-statuses`, {
      method: 'POST',
      headers: { ...auth, traceparent: `00-${traceId}-${hex(8)}-01` },
      body: JSON.stringify({ mentor_id: 'mntr_traced', status: 'paused', reason: 'Traced leave', changed_by: 'user_trace' }),
    });
    assert.equal(posted.status, 201);
    const { mentor_status_id: id } = (await posted.json()) as { mentor_status_id: string };

    await waitUntil(() => receiver.accepted('/traced').some((delivery) => delivery.body.includes(id)), 'the status change is delivered');
    const delivery = receiver.accepted('/traced').find((candidate) => candidate.body.includes(id))!;
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(delivery.headers.traceparent));
    assert.ok(match, `a W3C traceparent: ${String(delivery.headers.traceparent)}`);
    assert.equal(match[1], traceId, "the writer's trace");
    await waitUntil(() => serverSpanOf(traceId) !== undefined, 'the server span is exported');
    const writer = exporter.getFinishedSpans().find((span) => span.spanContext().spanId === match[2]);
    assert.ok(writer, 'the parent is a span of the writing request');
    assert.ok([writer, ...ancestors(writer, exporter.getFinishedSpans())].includes(serverSpanOf(traceId)!), 'inside its server span');
    // What the commit woke (the delivery round's queries, the NOTIFY) runs outside the writer's request.
    const woken = exporter
      .getFinishedSpans()
      .filter((span) => span.spanContext().traceId === traceId && Object.values(span.attributes).some((value) => /webhook_|NOTIFY/.test(String(value))));
    assert.deepEqual(
      woken.map((span) => span.name),
      [],
    );

    // A retry asked for through the API wakes the worker from inside that request: the redelivery's rounds stay out of
    // its trace too, and the worker's claims are never traced at all.
    let deliveries: { delivery_id: string }[] = [];
    // The receiver has the event before the worker books the round.
    await waitUntil(async () => {
      const listed = await fetch(`${base}/api/v1/webhook-subscriptions/${subscriptionId}/deliveries`, { headers: auth });
      deliveries = ((await listed.json()) as { data: { delivery_id: string }[] }).data;
      return deliveries.length > 0;
    }, 'the delivery is booked');
    const retryTrace = hex(16);
    const retried = await fetch(`${base}/api/v1/webhook-subscriptions/${subscriptionId}/deliveries/${deliveries[0].delivery_id}/retry`, {
      method: 'POST',
      headers: { authorization: auth.authorization, traceparent: `00-${retryTrace}-${hex(8)}-01` },
    });
    assert.equal(retried.status, 202);
    await retried.arrayBuffer();
    await waitUntil(() => receiver.accepted('/traced').filter((candidate) => candidate.body.includes(id)).length === 2, 'the redelivery');
    const claims = exporter.getFinishedSpans().filter((span) => Object.values(span.attributes).some((value) => String(value).includes('lease_owner')));
    assert.deepEqual(
      claims.map((span) => `${span.name} in ${span.spanContext().traceId === retryTrace ? 'the retry' : 'another'} trace`),
      [],
    );
  });

  it("gives the active span's traceparent for outgoing calls", () => {
    trace.getTracer('test').startActiveSpan('outgoing', (span) => {
      const { traceId, spanId } = span.spanContext();
      assert.equal(currentTraceparent(), `00-${traceId}-${spanId}-01`);
      span.end();
    });
    assert.equal(currentTraceparent(), undefined, 'outside any span');
  });
});
