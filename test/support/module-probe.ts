import { registerHooks } from 'node:module';

/**
 * Preloaded with `--import` into a service under test: writes `[loaded] <url>` to stderr for every
 * OpenTelemetry SDK or instrumentation module the process loads, so a test can tell what tracing
 * cost a process that runs without it.
 */
const WATCHED = /\/node_modules\/(?:@opentelemetry\/(?:sdk-node|instrumentation-[a-z-]+)|@fastify\/otel)\//;
const reported = new Set<string>();

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const name = WATCHED.exec(resolved.url)?.[0];
    if (name && !reported.has(name)) {
      reported.add(name);
      process.stderr.write(`[loaded] ${name}\n`);
    }
    return resolved;
  },
});
