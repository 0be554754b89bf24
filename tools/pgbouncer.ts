import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { startDaemon } from './daemon.js';
import { freePort } from './free-port.js';
import { postgresOwnedTempDir, postgresUser } from './postgres-user.js';

const PGBOUNCER = '/usr/sbin/pgbouncer';
const READY_WITHIN_MS = 15_000;

export interface PgBouncerOptions {
  /** Server connections per database and user (`default_pool_size`); 5 unless given. */
  poolSize?: number;
  /** Startup parameters PgBouncer should drop instead of refusing the connection (`ignore_startup_parameters`). */
  ignoreStartupParameters?: string[];
  /** Seconds PgBouncer waits after a failed connection to the server before it tries again (`server_login_retry`); PgBouncer's 15 unless given. */
  serverLoginRetrySeconds?: number;
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
    ...(options.serverLoginRetrySeconds === undefined ? [] : [`server_login_retry = ${options.serverLoginRetrySeconds}`]),
    ...(options.ignoreStartupParameters?.length ? [`ignore_startup_parameters = ${options.ignoreStartupParameters.join(',')}`] : []),
  ];
  await writeFile(join(dir, 'pgbouncer.ini'), `${settings.join('\n')}\n`);
  // With trust, PgBouncer still only admits users that its auth_file names.
  await writeFile(join(dir, 'userlist.txt'), `"${user}" ""\n`);

  const url = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`;
  const answers = async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const daemon = await startDaemon('pgbouncer', PGBOUNCER, [join(dir, 'pgbouncer.ini')], {
    dir,
    spawnOptions: postgresUser(),
    ready: answers,
    readyWithinMs: READY_WITHIN_MS,
  });
  return { url, port, log: daemon.log, stop: daemon.stop };
}
