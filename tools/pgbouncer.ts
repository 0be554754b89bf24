import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './free-port.js';
import { postgresOwnedTempDir, postgresUser } from './postgres-user.js';

const PGBOUNCER = '/usr/sbin/pgbouncer';
const READY_WITHIN_MS = 15_000;

export interface PgBouncerOptions {
  /** Server connections per database and user (`default_pool_size`); 5 unless given. */
  poolSize?: number;
  /** Startup parameters PgBouncer should drop instead of refusing the connection (`ignore_startup_parameters`). */
  ignoreStartupParameters?: string[];
}

export interface PgBouncer {
  /** The same database as the target's URL, reached through PgBouncer. */
  url: string;
  port: number;
  /** What PgBouncer logged so far (it logs to stderr). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction pooling mode in front of `targetUrl` (a trust-authenticated PostgreSQL,
 * such as the machine's or a {@link PgCluster}), on a free loopback port, with its files in a
 * temporary folder. It refuses to run as root, so it runs as the `postgres` user.
 */
export async function startPgBouncer(targetUrl: string, options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const target = new URL(targetUrl);
  const user = decodeURIComponent(target.username) || 'postgres';
  const database = target.pathname.slice(1) || user;
  const dir = await postgresOwnedTempDir('mss-pgbouncer-');
  const port = await freePort();
  const server = [
    `host=${target.hostname}`,
    `port=${target.port || 5432}`,
    `user=${user}`,
    ...(target.password ? [`password=${decodeURIComponent(target.password)}`] : []),
  ];
  const settings = [
    '[databases]',
    // Any database name the client asks for, on the target server, as the target's user.
    `* = ${server.join(' ')}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize ?? 5}`,
    'max_client_conn = 500',
    ...(options.ignoreStartupParameters?.length ? [`ignore_startup_parameters = ${options.ignoreStartupParameters.join(',')}`] : []),
  ];
  await writeFile(join(dir, 'pgbouncer.ini'), `${settings.join('\n')}\n`);
  // With trust, PgBouncer still only admits users that its auth_file names.
  await writeFile(join(dir, 'userlist.txt'), `"${user}" ""\n`);

  const child = spawn(PGBOUNCER, [join(dir, 'pgbouncer.ini')], { cwd: dir, ...postgresUser(), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const url = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`;
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}:\n${log}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    const ready = await client
      .connect()
      .then(() => client.query('SELECT 1'))
      .then(
        () => true,
        () => false,
      );
    await client.end().catch(() => undefined);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pgbouncer did not answer within ${READY_WITHIN_MS} ms:\n${log}`);
    }
    await sleep(50);
  }
  return { url, port, log: () => log, stop };
}
