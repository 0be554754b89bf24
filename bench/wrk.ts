import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_API_KEY, type RequestSource } from './endpoints.js';

/** Requests one wrk run cycles through: enough to spread reads over the data and to hold two full rounds of the POST pool. */
export const WRK_CYCLE = 20_000;

/**
 * The Lua side: the requests are read from a file and formatted once, in `init`, so that sending
 * one costs wrk a table lookup; `done` prints the figures as one JSON line. Lua reads the file of
 * one request per line: method, path and body separated by tabs.
 */
const SCRIPT = `
local requests = {}
local next_index = 0
init = function(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\\t([^\\t]+)\\t?(.*)$")
    local headers = {}
    if body ~= "" then
      headers["Content-Type"] = "application/json"
      headers["Authorization"] = "Bearer " .. args[2]
    else
      body = nil
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
end
request = function()
  next_index = next_index % #requests + 1
  return requests[next_index]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
`;

export interface WrkFigures {
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** wrk's own CPU time over the run, in microseconds. */
  cpuMicros: number;
}

/** Debian's wrk, installed with apt-get when it is missing (the bench may run as root, or with sudo). */
export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  const root = process.getuid?.() === 0;
  for (const command of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', 'wrk'],
  ]) {
    const [program, ...args] = root ? command : ['sudo', ...command];
    const result = spawnSync(program, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error('wrk is not installed and apt-get could not install it');
  }
}

/** utime + stime of a process so far, from /proc (Linux), in microseconds; 0 once it is gone. */
function processCpuMicros(pid: number): number {
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

/** One run of wrk (one thread, like autocannon's one event loop) against `url` with the requests of `source`. */
export async function runWrk(url: string, method: string, source: RequestSource, seconds: number, connections: number): Promise<WrkFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'mss-wrk-'));
  try {
    const lines = Array.from({ length: WRK_CYCLE }, (_, n) => {
      const { path, body } = source(n);
      return `${method}\t${path}${body === undefined ? '' : `\t${body}`}`;
    });
    await writeFile(join(dir, 'requests.tsv'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'load.lua'), SCRIPT);
    const child = spawn(
      'wrk',
      ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', join(dir, 'load.lua'), url, '--', join(dir, 'requests.tsv'), BENCH_API_KEY.key],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    let cpuMicros = 0;
    const sampler = setInterval(() => (cpuMicros = Math.max(cpuMicros, processCpuMicros(child.pid ?? 0))), 100);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(sampler);
    const line = output.split('\n').find((candidate) => candidate.startsWith('{"requests"'));
    if (code !== 0 || !line) throw new Error(`wrk exited with ${code}: ${output}`);
    const figures = JSON.parse(line) as { requests: number; durationUs: number; p50Us: number; p99Us: number; errors: number };
    return {
      requests: figures.requests,
      seconds: figures.durationUs / 1e6,
      p50Ms: figures.p50Us / 1000,
      p99Ms: figures.p99Us / 1000,
      errors: figures.errors,
      cpuMicros,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
