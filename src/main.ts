import { loadConfig } from './common/config/app-config.js';

/**
 * `npm start`. OpenTelemetry's instrumentations patch http, fastify and pg as they are loaded, so
 * when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT) its SDK starts first and the service is
 * imported after it; when it is off, the SDK is never loaded at all.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const tracing = config.otelExporterOtlpEndpoint
    ? (await import('./common/telemetry/tracing.js')).startTracing({ serviceName: config.otelServiceName })
    : undefined;
  const { serve } = await import('./serve.js');
  await serve(config, tracing);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
