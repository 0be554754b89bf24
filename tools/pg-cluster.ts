import { readdirSync, readFileSync } from 'node:fs';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './free-port.js';
import { PG_BIN, postgresOwnedTempDir, runAsPostgres } from './postgres-user.js';

/** Small and unsafe on purpose: a test cluster holds little data and must start fast next to others. */
const TEST_SETTINGS = ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off', 'shared_buffers = 16MB', 'max_connections = 60'];

/** State and parent of a process, from /proc/<pid>/stat ("pid (name) state ppid …", where the name may hold anything). */
export function processStat(pid: number): { state: string; parentPid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, parentPid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, parentPid: Number(parentPid) };
  } catch {
    return undefined;
  }
}

/** Sends a signal to a process unless it has exited meanwhile. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => processStat(child)?.parentPid === pid);
}

/**
 * A PostgreSQL 15 cluster of one test's own, in a temporary folder, on a free loopback port with
 * trust authentication (also for replication). Stopping or freezing it harms no one else's tests.
 */
export class PgCluster {
  private postmasterPid: number | undefined;
  private frozen = false;

  constructor(
    /** The temporary folder: `data/` is the cluster, `server.log` its log, and the Unix socket lives here. */
    readonly root: string,
    readonly port: number,
  ) {}

  get dataDir(): string {
    return join(this.root, 'data');
  }

  /** Superuser connection to the `postgres` database. */
  get url(): string {
    return this.urlFor('postgres');
  }

  urlFor(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The postmaster's process id while the server runs. */
  get pid(): number {
    if (this.postmasterPid === undefined) throw new Error('the cluster is not running');
    return this.postmasterPid;
  }

  async start(): Promise<void> {
    const options = `-c port=${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.root}`;
    try {
      await runAsPostgres(this.root, join(PG_BIN, 'pg_ctl'), [
        '-D',
        this.dataDir,
        '-l',
        join(this.root, 'server.log'),
        '-o',
        options,
        '-w',
        '-t',
        '60',
        'start',
      ]);
    } catch (error) {
      const log = await readFile(join(this.root, 'server.log'), 'utf8').catch(() => '');
      throw new Error(`${(error as Error).message}\nserver.log:\n${log.slice(-2000)}`, { cause: error });
    }
    this.postmasterPid = Number((await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  }

  /**
   * Fast shutdown (open sessions are disconnected), or immediate (every process quits at once, as in
   * a crash; the next start recovers); the files stay, so start() brings it back.
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (this.postmasterPid === undefined) return;
    this.thaw();
    await runAsPostgres(this.root, join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    this.postmasterPid = undefined;
  }

  /** Stops the server if it runs and deletes its folder. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.root, { recursive: true, force: true });
  }

  /**
   * Stops the postmaster and every process it started (backends, walsenders, background workers)
   * with SIGSTOP: the kernel still accepts TCP connections and acknowledges packets, but nothing
   * answers, as on a stuck host. thaw() resumes them. Each backend leads a process group of its own
   * (PostgreSQL calls setsid in every child), so one group signal would not reach them: the
   * postmaster is stopped first, so that it forks no one after its children are listed.
   */
  async freeze(): Promise<void> {
    process.kill(this.pid, 'SIGSTOP');
    const deadline = Date.now() + 5_000;
    while (processStat(this.pid)?.state !== 'T') {
      if (Date.now() > deadline) throw new Error(`postmaster ${this.pid} did not stop`);
      await sleep(5);
    }
    for (const child of childrenOf(this.pid)) signal(child, 'SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    if (!this.frozen) return;
    for (const child of childrenOf(this.pid)) signal(child, 'SIGCONT');
    process.kill(this.pid, 'SIGCONT');
    this.frozen = false;
  }

  /** Runs one statement on a connection of its own and gives the rows. */
  async query<Row = Record<string, unknown>>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.urlFor(database) });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Row[];
    } finally {
      await client.end();
    }
  }

  /** Creates a database (the name must be a plain identifier) and gives its URL. */
  async createDatabase(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
    await this.query(`CREATE DATABASE ${name}`);
    return this.urlFor(name);
  }
}

/** initdb + pg_ctl start of a new cluster in a temporary folder; call destroy() when done. */
export async function startPrivateCluster(): Promise<PgCluster> {
  const cluster = new PgCluster(await postgresOwnedTempDir('mss-pg-'), await freePort());
  await runAsPostgres(cluster.root, join(PG_BIN, 'initdb'), ['-D', cluster.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions']);
  await appendFile(join(cluster.dataDir, 'postgresql.conf'), `\n${TEST_SETTINGS.join('\n')}\n`);
  await cluster.start();
  return cluster;
}
