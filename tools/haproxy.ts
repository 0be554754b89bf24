import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';
import { freePort } from './free-port.js';

const HAPROXY = '/usr/sbin/haproxy';
const READY_WITHIN_MS = 15_000;
const BACKEND = 'app';

export interface HaproxyServer {
  name: string;
  /** The loopback port the server listens on. */
  port: number;
}

export interface HaproxyOptions {
  /** The path each server is health-checked on with GET; only a 200 counts as up. */
  checkPath: string;
  /** Milliseconds between checks of one server (`inter`). */
  checkIntervalMs: number;
  /** Failed checks in a row that take a server out (`fall`). */
  fall: number;
  /** Passed checks in a row that put a server back (`rise`). */
  rise: number;
}

export interface Haproxy {
  /** The balanced front, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Each server's state as HAProxy's checks see it (`UP`, `DOWN`, `UP 1/2`…), from its admin socket. */
  states(): Promise<Record<string, string>>;
  /** What HAProxy logged so far (it logs to stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** One command on HAProxy's admin socket, its whole answer. */
function ask(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`${command}\n`));
  });
}

/**
 * HAProxy in HTTP mode on a free loopback port, balancing round-robin over `servers` (on
 * loopback) and taking each in and out by its health check, with kept-alive connections on both
 * sides and no retries of its own, so that every failure of a server reaches the client. Its
 * files live in a temporary folder; it runs in the foreground and logs to stderr.
 */
export async function startHaproxy(servers: readonly HaproxyServer[], options: HaproxyOptions): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'mss-haproxy-'));
  const port = await freePort();
  const socketPath = join(dir, 'admin.sock');
  const settings = [
    'global',
    `  stats socket ${socketPath} mode 600 level admin`,
    '  log stderr format raw local0 info',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  option http-keep-alive',
    '  retries 0',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 30s',
    // A readiness answer that is merely slow (a loaded machine) must not count as a failed check: only a 503 or no answer takes a server out.
    '  timeout check 2s',
    'frontend front',
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${BACKEND}`,
    `backend ${BACKEND}`,
    '  balance roundrobin',
    `  option httpchk GET ${options.checkPath}`,
    '  http-check expect status 200',
    `  default-server check inter ${options.checkIntervalMs}ms fall ${options.fall} rise ${options.rise}`,
    ...servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port}`),
  ];
  const configPath = join(dir, 'haproxy.cfg');
  await writeFile(configPath, `${settings.join('\n')}\n`);

  const states = async () => {
    // `show stat` is CSV: "# pxname,svname,…,status,…"; one line per server, plus FRONTEND and BACKEND.
    const [header, ...rows] = (await ask(socketPath, 'show stat')).trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const [proxy, name, status] = ['pxname', 'svname', 'status'].map((column) => columns.indexOf(column));
    return Object.fromEntries(
      rows
        .map((row) => row.split(','))
        .filter((cells) => cells[proxy] === BACKEND && cells[name] !== 'BACKEND')
        .map((cells) => [cells[name], cells[status]]),
    );
  };
  const daemon = await startDaemon('haproxy', HAPROXY, ['-db', '-f', configPath], {
    dir,
    ready: () => states().then(() => true),
    readyWithinMs: READY_WITHIN_MS,
  });
  return { url: `http://127.0.0.1:${port}`, port, states, log: daemon.log, stop: daemon.stop };
}
