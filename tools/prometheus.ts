import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';
import { freePort } from './free-port.js';

const READY_WITHIN_MS = 30_000;

/** A binary of Debian's `prometheus` package (`prometheus`, `promtool`), or an error that says how to get it. */
export function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  const path = `/usr/bin/${name}`;
  if (!existsSync(path)) throw new Error(`${path} is missing: install the Debian package prometheus (apt-get install prometheus; .ci/run does)`);
  return path;
}

export interface PrometheusOptions {
  /** `host:port` of each target of the one scrape job, scraped at `/metrics`. */
  targets: string[];
  job: string;
  /** Rule files to load (alerting rules are evaluated every `evaluationIntervalMs`). */
  ruleFiles: string[];
  scrapeIntervalMs: number;
  /** At most `scrapeIntervalMs`, as Prometheus requires. */
  scrapeTimeoutMs: number;
  evaluationIntervalMs: number;
}

export interface Prometheus {
  url: string;
  /** GET `/api/v1/<path>`: the `data` of a successful answer; anything else throws with Prometheus's error. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  /** What Prometheus logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * A Prometheus server of the caller's own (Debian's binary) on a free loopback port, with its
 * configuration and storage in a temporary folder that stop() removes. Resolves once `/-/ready`
 * answers, so its rules are loaded and its first scrapes are under way.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const binary = prometheusBinary('prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'mss-prometheus-'));
  const port = await freePort();
  // JSON is YAML, and spares a writer.
  const config = {
    global: {
      scrape_interval: `${options.scrapeIntervalMs}ms`,
      scrape_timeout: `${options.scrapeTimeoutMs}ms`,
      evaluation_interval: `${options.evaluationIntervalMs}ms`,
    },
    rule_files: options.ruleFiles,
    scrape_configs: [{ job_name: options.job, static_configs: [{ targets: options.targets }] }],
  };
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    'prometheus',
    binary,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { dir, ready: () => fetch(`${url}/-/ready`).then((response) => response.ok), readyWithinMs: READY_WITHIN_MS },
  );
  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params).toString()}`);
    const body = (await response.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus /api/v1/${path}: ${body.errorType}: ${body.error}`);
    return body.data;
  };
  return { url, api, log: daemon.log, stop: daemon.stop };
}
