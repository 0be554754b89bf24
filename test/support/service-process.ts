import { ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const mainJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/main.js');

export interface ServiceProcess {
  process: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/**
 * The compiled `src/main.js`, as `npm start` runs it, with only the given DATABASE_URL (none: the embedded default).
 * No metrics listener unless `env` sets METRICS_PORT: suites run side by side and would all want the default port.
 * No drain on SIGTERM unless `env` sets SHUTDOWN_DRAIN_MS: no balancer is in front to wait for.
 */
export function startService(env: Record<string, string>): ServiceProcess {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [mainJs], {
    env: { ...inherited, METRICS_PORT: '0', SHUTDOWN_DRAIN_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { process: child, output: () => output, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

export async function waitForHealth(base: string, service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.process.exitCode !== null) throw new Error(`the service exited with ${service.process.exitCode}: ${service.output()}`);
    const healthy = await fetch(`${base}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await sleep(200);
  }
  throw new Error(`the service did not become healthy in ${timeoutMs} ms`);
}

/** Polls until `condition` holds; fails with `what` when it does not within the time given. */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(20);
  }
}

/** The service's log lines, each parsed; a line that is not JSON fails the caller's test. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`a log line that is not JSON: ${line}`);
      }
    });
}
