import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tools/free-port.js';
import { BENCH_API_KEY } from './endpoints.js';
import type { MemoryCgroup } from './memory-limit.js';

/** CPU time a process has used so far, user and system, in microseconds (Linux: /proc counts in 1/100 s); 0 once it is gone. */
export function processCpuMicros(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [utime, stime] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 13)
      .map(Number);
    return (utime + stime) * 10_000;
  } catch {
    return 0;
  }
}

const distRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The compiled entry points the benchmark runs, relative to dist/. */
export const SCRIPTS = {
  app: 'src/main.js',
  baseline: 'bench/baseline-server.js',
  adapter: 'bench/adapter-server.js',
} as const;

export interface ServerSpec {
  name: string;
  script: keyof typeof SCRIPTS;
  /** Extra environment for this server only. */
  env?: Record<string, string>;
  /** Options of Node's own, before the script (`--max-old-space-size=…`). */
  nodeOptions?: string[];
  /** A cgroup the process runs in from its start, as in a container with a memory limit. */
  cgroup?: MemoryCgroup;
}

/** A server under test, running as a child process of its own. */
export class ServerProcess {
  private peakRssKb = 0;
  private windowPeakKb = 0;
  private sampler: NodeJS.Timeout | undefined;

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(spec: ServerSpec, databaseUrl: string, poolSize: number): Promise<ServerProcess> {
    const port = await freePort();
    const command = [process.execPath, ...(spec.nodeOptions ?? []), join(distRoot, SCRIPTS[spec.script])];
    // In a cgroup, the shell puts itself in and then becomes Node, so that Node starts under the limit.
    const [file, ...args] = spec.cgroup ? ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', spec.cgroup.procsFile, ...command] : command;
    const child = spawn(file, args, {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL: databaseUrl,
        HOST: '127.0.0.1',
        PORT: String(port),
        DB_POOL_SIZE: String(poolSize),
        LOG_LEVEL: 'warn',
        DEMO_DATA: 'false',
        RATE_LIMIT_PER_MINUTE: '0',
        CLIENT_CONCURRENCY: '0',
        CERT_SWEEP_INTERVAL_SECONDS: '0',
        API_KEYS: `${BENCH_API_KEY.name}:${BENCH_API_KEY.key}`,
        // Measured with its metrics on, as in production; on a port of its own, so servers never clash.
        METRICS_PORT: String(await freePort()),
        ...spec.env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const server = new ServerProcess(spec.name, `http://127.0.0.1:${port}`, child);
    await server.waitUntilHealthy();
    return server;
  }

  /** Whether the process has ended (it is only ever stopped by {@link stop}, so before that it crashed or was killed). */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get urls(): string[] {
    return [this.url];
  }

  private async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited with code ${this.child.exitCode} before answering /health`);
      const healthy = await fetch(`${this.url}/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) return;
      await sleep(200);
    }
    throw new Error(`${this.name} did not answer /health within 60 s`);
  }

  /** CPU time the server has used so far, user and system, in microseconds. */
  cpuMicros(): number {
    return processCpuMicros(this.pid);
  }

  /** Resident memory right now, from /proc (Linux). */
  rssKb(): number {
    try {
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  private sample(): void {
    const rss = this.rssKb();
    this.peakRssKb = Math.max(this.peakRssKb, rss);
    this.windowPeakKb = Math.max(this.windowPeakKb, rss);
  }

  /** Samples the resident memory while `work` runs; the peak is kept across calls. */
  async sampled<T>(work: () => Promise<T>): Promise<T> {
    this.sampler = setInterval(() => this.sample(), 250);
    try {
      return await work();
    } finally {
      clearInterval(this.sampler);
      this.sample();
    }
  }

  get peakRssMb(): number {
    return Math.round(this.peakRssKb / 1024);
  }

  /** The peak of the runs since the last call (one endpoint's), then starts a new window. */
  takeWindowPeakRssMb(): number {
    const peak = this.windowPeakKb;
    this.windowPeakKb = 0;
    return Math.round(peak / 1024);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000).then(() => this.child.kill('SIGKILL'))]);
  }
}

/** Instances of one server loaded as one target: the load is split evenly between them (see runLoad). */
export class ServerGroup {
  constructor(
    readonly name: string,
    readonly members: ServerProcess[],
  ) {}

  get urls(): string[] {
    return this.members.map((member) => member.url);
  }

  cpuMicros(): number {
    return this.members.reduce((sum, member) => sum + member.cpuMicros(), 0);
  }

  sampled<T>(work: () => Promise<T>): Promise<T> {
    return this.members.reduceRight<() => Promise<T>>((inner, member) => () => member.sampled(inner), work)();
  }

  /** The largest of the instances' peaks. */
  get peakRssMb(): number {
    return Math.max(...this.members.map((member) => member.peakRssMb));
  }

  takeWindowPeakRssMb(): number {
    return Math.max(...this.members.map((member) => member.takeWindowPeakRssMb()));
  }
}
