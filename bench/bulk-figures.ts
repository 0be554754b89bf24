/**
 * `npm run bench -- --bulk`: the two bulk routes on the scale dataset. Each request holds 500
 * items for 500 mentors no earlier request touched, so every item is a real change (201): status
 * changes in each of the three ways a batch can run, suppressions, and, as the reference, the same
 * 500 status changes as 500 single POSTs one after another (an own transaction per item).
 */
import pg from 'pg';
import type { BenchServer } from './database.js';
import { DatasetShape, loadDataset, mentorId, suppressedMentorIndexes } from './dataset.js';
import { BENCH_API_KEY } from './endpoints.js';
import { median } from './load.js';
import type { BenchOptions } from './options.js';
import { formatMs, TargetCheck } from './report.js';
import { ServerProcess } from './servers.js';

const ITEMS = 500;
const TARGET_MS = 1_000;
/** Unmeasured requests of each kind before its measured ones. */
const WARMUP_REQUESTS = 2;

interface Figure {
  name: string;
  /** Milliseconds of each measured request, in order. */
  ms: number[];
}

const log = (line: string) => console.log(line);

async function post(app: ServerProcess, path: string, body: unknown): Promise<{ ms: number; answer: unknown }> {
  const started = performance.now();
  const response = await fetch(`${app.url}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY.key}` },
    body: JSON.stringify(body),
  });
  const answer: unknown = await response.json();
  const ms = performance.now() - started;
  if (response.status >= 300) throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(answer).slice(0, 500)}`);
  return { ms, answer };
}

/** Every item of a bulk answer must have been written (or, in a dry run, would have been). */
function assertAllWritten(answer: unknown, path: string): void {
  const failed = (answer as { results: { status: number }[] }).results.filter((result) => result.status !== 201);
  if (failed.length > 0) throw new Error(`${path}: ${failed.length} of ${ITEMS} items failed, the first ${JSON.stringify(failed[0])}`);
}

async function currentStatuses(url: string, mentors: string[]): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ mentor_id: string; status: string }>(
      'SELECT mentor_id, status FROM mentor_current_statuses WHERE mentor_id = ANY($1::varchar[])',
      [mentors],
    );
    return new Map(rows.map((row) => [row.mentor_id, row.status]));
  } finally {
    await client.end();
  }
}

function statusChange(mentor: string, current: string | undefined) {
  return current === 'paused'
    ? { mentor_id: mentor, status: 'active', changed_by: 'bench_bulk' }
    : { mentor_id: mentor, status: 'paused', reason: 'Benchmark pause', changed_by: 'bench_bulk' };
}

export async function bulk(bench: BenchServer, options: BenchOptions) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const url = await bench.createDatabase();
  log(`loading ${shape.mentors.toLocaleString('en')} mentors, ${shape.records.toLocaleString('en')} status records…`);
  const loadSeconds = await loadDataset(url, shape);
  const app = await ServerProcess.start({ name: 'app', script: 'app' }, url, options.poolSize);
  const requests = WARMUP_REQUESTS + Math.max(options.runs, 5);
  try {
    // Fresh mentors for every request: blocks of 500 from the start for status changes, and among the never-suppressed ones for suppressions.
    let next = 0;
    const freshMentors = () => Array.from({ length: ITEMS }, () => mentorId(next++));
    const suppressed = new Set(suppressedMentorIndexes(shape));
    const unsuppressed = Array.from({ length: shape.mentors }, (_, index) => index)
      .filter((index) => !suppressed.has(index))
      .reverse();
    const needed = requests * (4 * ITEMS);
    if (needed > shape.mentors || requests * ITEMS > unsuppressed.length) throw new Error(`--bulk needs at least ${needed} mentors`);

    const figures: Figure[] = [];
    const measure = async (name: string, request: () => Promise<number>) => {
      const ms: number[] = [];
      for (let n = 0; n < requests; n++) {
        const took = await request();
        if (n >= WARMUP_REQUESTS) ms.push(took);
      }
      figures.push({ name, ms });
      log(`  ${name}: median ${formatMs(median(ms))} ms, slowest ${formatMs(Math.max(...ms))} ms`);
    };
    const statusBatch = (extra: Record<string, boolean>) => async () => {
      const mentors = freshMentors();
      const current = await currentStatuses(url, mentors);
      const { ms, answer } = await post(app, 'mentor-statuses/bulk', { ...extra, items: mentors.map((mentor) => statusChange(mentor, current.get(mentor))) });
      assertAllWritten(answer, 'mentor-statuses/bulk');
      return ms;
    };
    await measure(`POST /mentor-statuses/bulk, ${ITEMS} items`, statusBatch({}));
    await measure(`POST /mentor-statuses/bulk, ${ITEMS} items, atomic`, statusBatch({ atomic: true }));
    await measure(`POST /mentor-statuses/bulk, ${ITEMS} items, dry_run`, statusBatch({ dry_run: true }));
    await measure(`POST /mentor-suppressions/bulk, ${ITEMS} items`, async () => {
      const items = unsuppressed.splice(0, ITEMS).map((index) => ({ mentor_id: mentorId(index), coordinator_id: 'coord_bench', reason: 'conduct_review' }));
      const { ms, answer } = await post(app, 'mentor-suppressions/bulk', { items });
      assertAllWritten(answer, 'mentor-suppressions/bulk');
      return ms;
    });
    await measure(`${ITEMS} × POST /mentor-statuses, one after another`, async () => {
      const mentors = freshMentors();
      const current = await currentStatuses(url, mentors);
      let ms = 0;
      for (const mentor of mentors) ms += (await post(app, 'mentor-statuses', statusChange(mentor, current.get(mentor)))).ms;
      return ms;
    });

    const checks: TargetCheck[] = figures
      .filter((figure) => figure.name.includes('/bulk'))
      .map((figure) => ({
        target: `\`${figure.name}\`: every request under ${TARGET_MS} ms`,
        met: Math.max(...figure.ms) < TARGET_MS,
        measured: `median ${formatMs(median(figure.ms))} ms, slowest ${formatMs(Math.max(...figure.ms))} ms`,
      }));
    return {
      results: {
        dataset: { ...shape, loadSeconds: Number(loadSeconds.toFixed(1)) },
        items: ITEMS,
        measuredRequests: requests - WARMUP_REQUESTS,
        figures,
        targets: checks,
      },
    };
  } finally {
    await app.stop();
  }
}
