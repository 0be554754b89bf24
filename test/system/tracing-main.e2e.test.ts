import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../../tools/free-port.js';
import { logLines, ServiceProcess, startService, waitForHealth, waitUntil } from '../support/service-process.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const probe = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../support/module-probe.js')).href;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A stand-in OTLP/HTTP collector that keeps every trace export it is sent (JSON encoding). */
async function startCollector(): Promise<{ server: Server; url: string; exports: OtlpExport[] }> {
  const exports: OtlpExport[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') exports.push(JSON.parse(body) as OtlpExport);
      response.writeHead(request.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exports };
}

const spansOf = (exports: OtlpExport[]) =>
  exports.flatMap((sent) => sent.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
const serviceNamesOf = (exports: OtlpExport[]) =>
  new Set(
    exports.flatMap((sent) =>
      sent.resourceSpans.flatMap((resource) => resource.resource.attributes.filter((a) => a.key === 'service.name').map((a) => a.value.stringValue)),
    ),
  );

describe('npm start with and without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database.drop());

  async function run(env: Record<string, string>, work: (base: string, service: ServiceProcess) => Promise<void>): Promise<ServiceProcess> {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const service = startService({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      CERT_SWEEP_INTERVAL_SECONDS: '0',
      NODE_OPTIONS: `--import=${probe}`,
      ...env,
    });
    try {
      await waitForHealth(base, service);
      await work(base, service);
    } finally {
      service.process.kill('SIGTERM');
    }
    assert.equal(await service.exited, 0, service.output());
    return service;
  }

  it('sends each request as a trace over OTLP/HTTP, continuing its traceparent, and logs its trace id', async () => {
    const collector = await startCollector();
    const traceId = randomBytes(16).toString('hex');
    try {
      const service = await run(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          OTEL_SERVICE_NAME: 'mss-main-traced',
        },
        async (base) => {
          const response = await fetch(`${base}/api/v1/mentors/mntr_nobody`, {
            headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'x-request-id': 'main-traced' },
          });
          assert.equal(response.status, 404);
          await response.arrayBuffer();
          await waitUntil('the collector has the server span', () => spansOf(collector.exports).some((span) => span.traceId === traceId && span.kind === 2));
        },
      );
      const spans = spansOf(collector.exports).filter((span) => span.traceId === traceId);
      assert.deepEqual(
        spans.filter((span) => span.kind === 2).map((span) => span.name),
        ['GET /api/v1/mentors/:mentor_id'],
      );
      assert.ok(
        spans.some((span) => span.name.startsWith('pg.query')),
        `the query is in the trace: ${spans.map((span) => span.name).join(', ')}`,
      );
      assert.deepEqual([...serviceNamesOf(collector.exports)], ['mss-main-traced']);
      const lines = logLines(service.output().replace(/^\[loaded\].*$/gm, '')).filter((line) => line.request_id === 'main-traced');
      assert.ok(lines.length > 0 && lines.every((line) => line.trace_id === traceId), JSON.stringify(lines));
      assert.match(service.output(), /\[loaded\] \/node_modules\/@opentelemetry\/sdk-node\//, 'the probe sees the SDK load');
    } finally {
      collector.server.close();
    }
  });

  it('without it, never loads the OpenTelemetry SDK or an instrumentation, and logs no trace ids', async () => {
    const service = await run({}, async (base) => {
      const response = await fetch(`${base}/api/v1/mentors/mntr_nobody`, { headers: { 'x-request-id': 'main-untraced' } });
      assert.equal(response.status, 404);
      await response.arrayBuffer();
    });
    assert.doesNotMatch(service.output(), /\[loaded\]/);
    const lines = logLines(service.output()).filter((line) => line.request_id === 'main-untraced');
    assert.ok(lines.length > 0 && lines.every((line) => !('trace_id' in line)), JSON.stringify(lines));
  });
});
