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
 * one costs wrk a table lookup. The file has one request per line: method, path, body (empty for
 * none) and `name: value` headers, separated by tabs. `response` counts answers other than the
 * expected status (args[3]; 0: any 2xx), which wrk's own error count (connection errors,
 * timeouts, status ≥ 400) would miss; `done` prints the figures as one JSON line.
 */
const SCRIPT = `
local requests = {}
local next_index = 0
local expected = 0
unexpected = 0
local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end
init = function(args)
  expected = tonumber(args[3])
  for line in io.lines(args[1]) do
    local fields = {}
    for field in (line .. "\\t"):gmatch("([^\\t]*)\\t") do fields[#fields + 1] = field end
    local headers = {}
    for i = 4, #fields do
      local name, value = fields[i]:match("^([^:]+): (.*)$")
      headers[name] = value
    end
    local body = fields[3]
    if body ~= nil and body ~= "" then
      headers["Content-Type"] = "application/json"
      headers["Authorization"] = "Bearer " .. args[2]
    else
      body = nil
    end
    requests[#requests + 1] = wrk.format(fields[1], fields[2], headers, body)
  end
end
request = function()
  next_index = next_index % #requests + 1
  return requests[next_index]
end
response = function(status, headers, body)
  if (expected == 0 and (status < 200 or status > 299)) or (expected ~= 0 and status ~= expected) then
    unexpected = unexpected + 1
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local other = 0
  for _, thread in ipairs(threads) do other = other + thread:get("unexpected") end
  io.write(string.format('{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"errors":%d,"unexpected":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, other))
end
`;

export interface WrkFigures {
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and answers other than the expected status. */
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

/**
 * CPU time, user and system, of this process's children that have ended and been waited for, in
 * microseconds (/proc/self/stat: cutime and cstime, in 1/100 s on Linux). The difference across
 * a wrk run is wrk's own rusage: the servers under test are children too, but they keep running.
 */
export function endedChildrenCpuMicros(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const [cutime, cstime] = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(13, 15)
    .map(Number);
  return (cutime + cstime) * 10_000;
}

/** One run of wrk (one thread, like autocannon's one event loop) against `url` with the requests of `source`. */
export async function runWrk(
  url: string,
  method: string,
  source: RequestSource,
  { seconds, connections, expectedStatus }: { seconds: number; connections: number; expectedStatus?: number },
): Promise<WrkFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'mss-wrk-'));
  try {
    const lines = Array.from({ length: WRK_CYCLE }, (_, n) => {
      const { path, body = '', headers = {} } = source(n);
      return [method, path, body, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\t');
    });
    await writeFile(join(dir, 'requests.tsv'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'load.lua'), SCRIPT);
    const cpuBefore = endedChildrenCpuMicros();
    const child = spawn(
      'wrk',
      [
        '-t1',
        `-c${connections}`,
        `-d${seconds}s`,
        '--timeout',
        '10s',
        '-s',
        join(dir, 'load.lua'),
        url,
        '--',
        join(dir, 'requests.tsv'),
        BENCH_API_KEY.key,
        String(expectedStatus ?? 0),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const cpuMicros = endedChildrenCpuMicros() - cpuBefore;
    const line = output.split('\n').find((candidate) => candidate.startsWith('{"requests"'));
    if (code !== 0 || !line) throw new Error(`wrk exited with ${code}: ${output}`);
    const figures = JSON.parse(line) as { requests: number; durationUs: number; p50Us: number; p99Us: number; errors: number; unexpected: number };
    return {
      requests: figures.requests,
      seconds: figures.durationUs / 1e6,
      p50Ms: figures.p50Us / 1000,
      p99Ms: figures.p99Us / 1000,
      errors: figures.errors + figures.unexpected,
      cpuMicros,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
