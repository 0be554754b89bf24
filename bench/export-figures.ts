import type { ReadableStream } from 'node:stream/web';
import type { BenchServer } from './database.js';
import { type DatasetShape, loadDataset } from './dataset.js';
import { median } from './load.js';
import type { BenchOptions } from './options.js';
import type { TargetCheck } from './report.js';
import type { ServerProcess, ServerSpec } from './servers.js';

const FORMATS = ['csv', 'ndjson'] as const;
const MIN_ROWS_PER_SECOND = 50_000;
const MAX_RSS_GROWTH_MB = 50;
/** How often the server's resident memory is read while an export runs. */
const SAMPLE_MS = 100;

interface ExportRun {
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssGrowthMb: number;
}

/** Downloads an export as a client would, counting bytes and lines as they arrive (nothing is kept). */
async function download(url: string): Promise<{ bytes: number; lines: number }> {
  const response = await fetch(url);
  if (response.status !== 200 || !response.body) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  let bytes = 0;
  let lines = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    const chunk = read.value;
    bytes += chunk.length;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
  }
  return { bytes, lines };
}

async function measuredExport(app: ServerProcess, format: (typeof FORMATS)[number]): Promise<ExportRun> {
  const rssBefore = app.rssKb();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, app.rssKb())), SAMPLE_MS);
  const started = performance.now();
  try {
    const { bytes, lines } = await download(`${app.url}/api/v1/exports/mentor-statuses?format=${format}`);
    const seconds = (performance.now() - started) / 1000;
    rssPeak = Math.max(rssPeak, app.rssKb());
    const rows = format === 'csv' ? lines - 1 : lines;
    const mb = (kb: number) => Math.round(kb / 102.4) / 10;
    return {
      rows,
      bytes,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(rows / seconds),
      rssBeforeMb: mb(rssBefore),
      rssPeakMb: mb(rssPeak),
      rssGrowthMb: mb(rssPeak - rssBefore),
    };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * `npm run bench -- --exports`: `GET /api/v1/exports/mentor-statuses` of every status record of
 * the dataset (1,000,000 by default), in each format, once as a warm-up and then `--runs` times:
 * rows per second at the client, and how far the server's resident memory rises above what it
 * was before each export.
 */
export async function exportFigures(bench: BenchServer, options: BenchOptions, start: (spec: ServerSpec, url: string) => Promise<ServerProcess>) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const url = await bench.createDatabase();
  console.log(`loading ${shape.records.toLocaleString('en')} status records of ${shape.mentors.toLocaleString('en')} mentors…`);
  const loadSeconds = await loadDataset(url, shape);
  const app = await start({ name: 'app', script: 'app' }, url);
  // The first export after the start grows V8's heap to its working size once (as any sustained load does), whatever the
  // export's length; it is measured, but as a warm-up. The measured runs that follow show what an export costs a running server.
  const coldStart: (ExportRun & { format: string })[] = [];
  for (const format of FORMATS) {
    const run = await measuredExport(app, format);
    coldStart.push({ format, ...run });
    console.log(`  ${format} warm-up: ${run.rowsPerSecond.toLocaleString('en')} rows/s, RSS ${run.rssBeforeMb} → ${run.rssPeakMb} MB`);
  }
  const runs = new Map<string, ExportRun[]>(FORMATS.map((format) => [format, []]));
  for (let round = 0; round < options.runs; round++) {
    for (const format of FORMATS) {
      const run = await measuredExport(app, format);
      runs.get(format)!.push(run);
      console.log(
        `  ${format} run ${round + 1}: ${run.rows.toLocaleString('en')} rows in ${run.seconds} s = ${run.rowsPerSecond.toLocaleString('en')} rows/s, RSS ${run.rssBeforeMb} → ${run.rssPeakMb} MB`,
      );
    }
  }
  const summary = FORMATS.map((format) => {
    const measured = runs.get(format)!;
    return {
      format,
      rows: measured[0].rows,
      megabytes: Math.round(measured[0].bytes / 2 ** 20),
      rowsPerSecond: median(measured.map((run) => run.rowsPerSecond)),
      seconds: median(measured.map((run) => run.seconds)),
      rssGrowthMb: Math.max(...measured.map((run) => run.rssGrowthMb)),
      runs: measured,
    };
  });
  const checks: TargetCheck[] = summary.flatMap((row) => [
    {
      target: `${row.format} export of ${shape.records.toLocaleString('en')} records: ≥ ${MIN_ROWS_PER_SECOND.toLocaleString('en')} rows/s`,
      met: row.rows === shape.records && row.rowsPerSecond >= MIN_ROWS_PER_SECOND,
      measured: `${row.rowsPerSecond.toLocaleString('en')} rows/s (${row.rows.toLocaleString('en')} rows)`,
    },
    {
      target: `${row.format} export: server RSS rises < ${MAX_RSS_GROWTH_MB} MB`,
      met: row.rssGrowthMb < MAX_RSS_GROWTH_MB,
      measured: `${row.rssGrowthMb} MB at most over ${row.runs.length} runs`,
    },
  ]);
  return {
    results: { dataset: { ...shape, loadSeconds: Number(loadSeconds.toFixed(1)) }, coldStart, exports: summary, targets: checks },
  };
}
