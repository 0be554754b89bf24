import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchServer } from './database.js';
import type { BenchOptions } from './options.js';

const here = dirname(fileURLToPath(import.meta.url));
const WITH_OUTBOX = join(here, '../src/main.js');
const WITHOUT_OUTBOX = join(here, 'app-without-outbox.js');

type Figure = Record<string, number | string> & { figure: string };

/** One run of bench/events-figures.ts; its figures, one JSON line each. */
function figures(args: string[]): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'events-figures.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`events-figures ${args.join(' ')} exited with ${code}`));
      else resolve(out.split('\n').flatMap((line) => (line.startsWith('{"figure"') ? [JSON.parse(line) as Figure] : [])));
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `--events`: what the change events cost and how fast they travel, on the main run's dataset
 * (`--mentors`, `--chapters`, `--records`), which the caller loads into `dataset`; each run gets
 * a copy of it, so that every app starts on the same database with its statistics. POST
 * /mentor-statuses of this build and of the same build without the outbox
 * (app-without-outbox.ts), in `--runs` interleaved runs of `--duration` seconds each (medians):
 * at a steady 200 writes/s and at saturation (10 connections). Then, once, the webhook delivery
 * rate and commit-to-receipt at 200 writes/s.
 */
export async function eventsRun(bench: BenchServer, dataset: { url: string; summary: object }, options: BenchOptions, log: (line: string) => void) {
  const seconds = String(options.duration);
  const onCopy = async (args: string[]) => figures([...args, '--database', await bench.cloneDatabase(dataset.url)]);
  const runs: Record<'with' | 'without', Figure[][]> = { with: [], without: [] };
  for (let run = 1; run <= options.runs; run++) {
    for (const [build, app] of [
      ['without', WITHOUT_OUTBOX],
      ['with', WITH_OUTBOX],
    ] as const) {
      const measured = await onCopy(['--only', 'post', '--seconds', seconds, '--app', app]);
      log(`run ${run}, ${build} the outbox: ${measured.map((figure) => `${figure.figure}: p50 ${figure.p50_ms} ms`).join('; ')}`);
      runs[build].push(measured);
    }
  }
  const [steady, saturated] = [0, 1].map((index) => ({
    with: runs.with.map((run) => run[index]),
    without: runs.without.map((run) => run[index]),
  }));
  const both = (of: { with: Figure[]; without: Figure[] }, field: string) => ({
    without: median(of.without.map((figure) => Number(figure[field]))),
    with: median(of.with.map((figure) => Number(figure[field]))),
  });
  const results = {
    dataset: dataset.summary,
    steady: {
      p50_ms: both(steady, 'p50_ms'),
      p99_ms: both(steady, 'p99_ms'),
      app_cpu_us_per_request: both(steady, 'app_cpu_us_per_request'),
      db_cpu_us_per_request: both(steady, 'db_cpu_us_per_request'),
    },
    saturated: {
      requests_per_s: both(saturated, 'requests_per_s'),
      p50_ms: both(saturated, 'p50_ms'),
      p99_ms: both(saturated, 'p99_ms'),
      app_cpu_us_per_request: both(saturated, 'app_cpu_us_per_request'),
      db_cpu_us_per_request: both(saturated, 'db_cpu_us_per_request'),
    },
    delivery: await onCopy(['--only', 'delivery,latency', '--seconds', seconds]),
    runs,
  };
  return { results };
}
