import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { Daemon, startDaemon } from './daemon.js';
import { freePort } from './free-port.js';
import { childrenOf, processStat, signal } from './pg-cluster.js';
import { PgBouncer, startPgBouncer } from './pgbouncer.js';
import { PG_BIN, postgresOwnedTempDir, postgresUser } from './postgres-user.js';

const ETCD = '/usr/bin/etcd';
const PATRONI = '/usr/bin/patroni';
const PATRONICTL = '/usr/bin/patronictl';
const HAPROXY = '/usr/sbin/haproxy';
const SCOPE = 'mss';
const NODES = ['node1', 'node2', 'node3'];
/** Generous: three Patroni nodes, etcd and a basebackup each on a loaded 2-core machine. */
const READY_WITHIN_MS = 180_000;

/**
 * Short for a test, within Patroni's rule loop_wait + 2 × retry_timeout ≤ ttl: the leader key of a
 * dead primary expires after `ttl` seconds, and a replica takes over at its next loop.
 */
const DCS_TIMING = { ttl: 10, loop_wait: 1, retry_timeout: 4 };
/** HAProxy checks each node's REST API this often; two failures take it out, one success puts it in. */
const CHECK = 'inter 500ms fall 2 rise 1';

/** What Patroni's `GET /cluster` says about one member. */
export interface PatroniMember {
  name: string;
  /** `leader`, `sync_standby` or `replica`. */
  role: string;
  /** `running`, `streaming`, `starting`, `stopped`, `crashed`… */
  state: string;
  timeline?: number;
}

interface PatroniNode {
  name: string;
  /** Its folder: `patroni.yml`, and `data/` the PostgreSQL cluster Patroni manages. */
  dir: string;
  pgPort: number;
  restPort: number;
  /** While its Patroni runs. */
  daemon?: Daemon;
}

/** Small and unsafe on purpose, as in pg-cluster.ts: a test cluster must start fast next to others. */
const POSTGRES_PARAMETERS = { fsync: 'off', full_page_writes: 'off', shared_buffers: '16MB', max_connections: 100 };

function patroniConfig(node: PatroniNode, etcdPort: number): object {
  return {
    scope: SCOPE,
    name: node.name,
    log: { level: 'INFO' },
    restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
    etcd3: { hosts: [`127.0.0.1:${etcdPort}`] },
    watchdog: { mode: 'off' },
    bootstrap: {
      dcs: {
        ...DCS_TIMING,
        // A commit is acknowledged once one standby has it too; strict: with no standby, no commit at all.
        synchronous_mode: true,
        synchronous_mode_strict: true,
        synchronous_node_count: 1,
        postgresql: {
          // A killed primary may hold WAL its successor never had: it comes back rewound (or copied anew), never as it was.
          use_pg_rewind: true,
          remove_data_directory_on_rewind_failure: true,
          remove_data_directory_on_diverged_timelines: true,
          use_slots: true,
          parameters: POSTGRES_PARAMETERS,
        },
      },
      initdb: [{ encoding: 'UTF8' }, 'no-sync'],
      pg_hba: ['host replication all 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 trust'],
    },
    postgresql: {
      listen: `127.0.0.1:${node.pgPort}`,
      connect_address: `127.0.0.1:${node.pgPort}`,
      data_dir: join(node.dir, 'data'),
      bin_dir: PG_BIN,
      pgpass: join(node.dir, 'pgpass'),
      authentication: { superuser: { username: 'postgres' }, replication: { username: 'postgres' }, rewind: { username: 'postgres' } },
      parameters: { unix_socket_directories: node.dir },
    },
  };
}

/** HAProxy in TCP mode: the write port goes to the node whose REST API answers `GET /primary` 200, the read port to those answering `GET /replica` 200. */
function haproxyConfig(nodes: readonly PatroniNode[], writePort: number, readPort: number): string {
  const servers = nodes.map((node) => `  server ${node.name} 127.0.0.1:${node.pgPort} check port ${node.restPort}`);
  return [
    'global',
    '  log stderr format raw local0 info',
    'defaults',
    '  mode tcp',
    '  log global',
    '  retries 2',
    '  timeout connect 2s',
    '  timeout client 30m',
    '  timeout server 30m',
    '  timeout check 2s',
    // A node that stops passing its check has its open connections cut at once, so no client keeps talking to a dead or demoted primary.
    `  default-server ${CHECK} on-marked-down shutdown-sessions`,
    'listen write',
    `  bind 127.0.0.1:${writePort}`,
    '  option httpchk GET /primary',
    '  http-check expect status 200',
    ...servers,
    'listen read',
    `  bind 127.0.0.1:${readPort}`,
    '  balance roundrobin',
    '  option httpchk GET /replica',
    '  http-check expect status 200',
    ...servers,
    '',
  ].join('\n');
}

/** Whether `pid` is still the postmaster of `node`'s cluster (not a process that got its number since). */
function isPostmasterOf(pid: number, node: PatroniNode): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(node.dir, 'data'));
  } catch {
    return false;
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return (await response.json()) as T;
}

/** One statement on a connection of its own; undefined when it fails (a server that is down, read-only or not there). */
async function tryQuery<Row>(url: string, sql: string): Promise<Row[] | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(sql)).rows as Row[];
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(100);
  }
}

/**
 * A Patroni cluster on loopback, for failover tests: one etcd member, three Patroni nodes each
 * managing a PostgreSQL 15 of its own in synchronous mode (strict, one synchronous standby), HAProxy
 * routing a write port to the primary and a read port to the replicas by Patroni's REST checks, and
 * PgBouncer in transaction pooling mode in front of the write port. Everything lives in one
 * temporary folder; Patroni and PostgreSQL run as the `postgres` user.
 */
export class PatroniCluster {
  private etcd?: Daemon;
  private haproxy?: Daemon;
  private bouncer?: PgBouncer;

  private constructor(
    readonly root: string,
    private readonly etcdPort: number,
    private readonly nodes: PatroniNode[],
    readonly writePort: number,
    readonly readPort: number,
  ) {}

  /** Builds and starts it, and waits until it has a primary, a synchronous standby and a replica, each reachable through HAProxy. */
  static async start(): Promise<PatroniCluster> {
    const root = await postgresOwnedTempDir('mss-patroni-');
    const ports = async () => ({ pgPort: await freePort(), restPort: await freePort() });
    const nodes: PatroniNode[] = [];
    for (const name of NODES) nodes.push({ name, dir: join(root, name), ...(await ports()) });
    const cluster = new PatroniCluster(root, await freePort(), nodes, await freePort(), await freePort());
    try {
      await cluster.startAll();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private async startAll(): Promise<void> {
    const etcdDir = join(this.root, 'etcd');
    await mkdir(etcdDir);
    const peer = `http://127.0.0.1:${await freePort()}`;
    const client = `http://127.0.0.1:${this.etcdPort}`;
    this.etcd = await startDaemon(
      'etcd',
      ETCD,
      [
        ...['--name', 'etcd1', '--data-dir', join(etcdDir, 'data'), '--logger', 'zap', '--log-level', 'warn'],
        ...['--listen-client-urls', client, '--advertise-client-urls', client],
        ...['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `etcd1=${peer}`],
      ],
      { dir: etcdDir, ready: async () => (await fetch(`${client}/health`)).ok, readyWithinMs: 30_000 },
    );

    const { uid, gid } = postgresUser();
    for (const node of this.nodes) {
      await mkdir(node.dir, { mode: 0o700 });
      await writeFile(join(node.dir, 'patroni.yml'), JSON.stringify(patroniConfig(node, this.etcdPort), null, 2));
      await chown(node.dir, uid, gid);
    }
    await Promise.all(this.nodes.map((node) => this.startPatroni(node)));
    await this.waitForAllThree();

    const haproxyDir = join(this.root, 'haproxy');
    await mkdir(haproxyDir);
    const haproxyCfg = join(haproxyDir, 'haproxy.cfg');
    await writeFile(haproxyCfg, haproxyConfig(this.nodes, this.writePort, this.readPort));
    this.haproxy = await startDaemon('haproxy', HAPROXY, ['-db', '-f', haproxyCfg], {
      dir: haproxyDir,
      ready: async () =>
        (await tryQuery(this.writeUrl('postgres'), 'SELECT 1 WHERE NOT pg_is_in_recovery()'))?.length === 1 &&
        (await tryQuery(this.readUrl('postgres'), 'SELECT 1 WHERE pg_is_in_recovery()'))?.length === 1,
      readyWithinMs: 60_000,
    });
    // After a failed connection (no primary behind the write port during a failover), try again after 1 s, not PgBouncer's 15.
    this.bouncer = await startPgBouncer(this.writeUrl('postgres'), { poolSize: 20, serverLoginRetrySeconds: 1 });
  }

  /** Starts the Patroni of `node` (its PostgreSQL with it) and waits until its REST API answers. */
  private async startPatroni(node: PatroniNode): Promise<void> {
    node.daemon = await startDaemon(node.name, PATRONI, [join(node.dir, 'patroni.yml')], {
      dir: node.dir,
      spawnOptions: { ...postgresUser(), env: { ...process.env, HOME: node.dir } },
      ready: async () => (await fetch(`http://127.0.0.1:${node.restPort}/liveness`)).ok,
      readyWithinMs: READY_WITHIN_MS,
    });
  }

  /** The database `database` through HAProxy's write port: the primary, whichever node that is. */
  writeUrl(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.writePort}/${database}`;
  }

  /** The database `database` through HAProxy's read port: the replicas, in turn. */
  readUrl(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.readPort}/${database}`;
  }

  /** The database `database` through PgBouncer (transaction pooling) in front of the write port. */
  pgbouncerUrl(database: string): string {
    if (!this.bouncer) throw new Error('the cluster is not running');
    return `postgres://postgres@127.0.0.1:${this.bouncer.port}/${database}`;
  }

  /** The members as any running node's Patroni sees them (they read the same etcd). */
  async members(): Promise<PatroniMember[]> {
    for (const node of this.nodes) {
      if (!node.daemon) continue;
      const answer = await getJson<{ members: PatroniMember[] }>(`http://127.0.0.1:${node.restPort}/cluster`).catch(() => undefined);
      if (answer) return answer.members;
    }
    throw new Error('no Patroni node answers');
  }

  /** The name of the node that holds the leader key now. */
  async primary(): Promise<string> {
    const leader = (await this.members()).find((member) => member.role === 'leader');
    if (!leader) throw new Error('the cluster has no leader now');
    return leader.name;
  }

  /** Polls until the members satisfy `condition`. */
  async waitForMembers(what: string, condition: (members: PatroniMember[]) => boolean, timeoutMs = READY_WITHIN_MS): Promise<PatroniMember[]> {
    return poll(
      what,
      async () => {
        const members = await this.members();
        return condition(members) ? members : undefined;
      },
      timeoutMs,
    );
  }

  /** Polls until it has a primary, a synchronous standby and a replica, all running. */
  async waitForAllThree(): Promise<void> {
    await this.waitForMembers('a primary, a synchronous standby and a replica, all running', (members) =>
      ['leader', 'sync_standby', 'replica'].every((role) => members.some((member) => member.role === role && ['running', 'streaming'].includes(member.state))),
    );
  }

  /** Polls until a node other than `previous` is the primary and takes writes through HAProxy's write port; gives its name. */
  async waitForNewPrimary(previous: string, timeoutMs = 120_000): Promise<string> {
    const members = await this.waitForMembers(
      `a node other than ${previous} is the running primary`,
      (found) => found.some((member) => member.role === 'leader' && member.state === 'running' && member.name !== previous),
      timeoutMs,
    );
    await poll(
      'the write port reaches a primary',
      async () => ((await tryQuery(this.writeUrl('postgres'), 'SELECT 1 WHERE NOT pg_is_in_recovery()'))?.length === 1 ? true : undefined),
      timeoutMs,
    );
    return members.find((member) => member.role === 'leader')!.name;
  }

  /**
   * SIGKILL of the primary's Patroni and its PostgreSQL (the postmaster and every process it
   * started) at once, as when its host dies: nothing shuts down, the leader key stays in etcd until
   * its ttl runs out. Gives the killed node's name and when (epoch ms) the signals went out.
   */
  async killPrimary(): Promise<{ name: string; killedAt: number }> {
    const name = await this.primary();
    const node = this.node(name);
    const postmaster = Number((await readFile(join(node.dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    signal(node.daemon!.pid, 'SIGKILL');
    // Stopped first, so that it forks no one after its children are listed (each child leads a process group of its own).
    signal(postmaster, 'SIGSTOP');
    await poll(`${name}'s postmaster has stopped`, async () => (processStat(postmaster)?.state === 'T' ? true : undefined), 5_000);
    const children = childrenOf(postmaster);
    signal(postmaster, 'SIGKILL');
    for (const child of children) signal(child, 'SIGKILL');
    const killedAt = Date.now();
    await poll(
      `${name}'s processes are gone`,
      async () => ([node.daemon!.pid, postmaster, ...children].every((pid) => !processStat(pid) || processStat(pid)?.state === 'Z') ? true : undefined),
      10_000,
    );
    node.daemon = undefined;
    return { name, killedAt };
  }

  /** The nodes whose Patroni was killed and not revived. */
  killedNodes(): string[] {
    return this.nodes.filter((node) => !node.daemon).map((node) => node.name);
  }

  /** Starts a killed node's Patroni again and waits until it runs as a replica of the primary (rewound or copied anew). */
  async revive(name: string): Promise<void> {
    const node = this.node(name);
    if (node.daemon) throw new Error(`${name} runs already`);
    await this.startPatroni(node);
    await this.waitForMembers(`${name} runs as a replica`, (members) =>
      members.some((member) => member.name === name && member.role !== 'leader' && ['running', 'streaming'].includes(member.state)),
    );
  }

  /** A planned switchover with `patronictl` (no questions asked) from the primary to `candidate`, or to any eligible node; gives the new primary's name. */
  async switchover(candidate?: string): Promise<string> {
    const leader = await this.primary();
    const args = ['-c', join(this.node(leader).dir, 'patroni.yml'), 'switchover', SCOPE, '--leader', leader, '--force'];
    if (candidate) args.push('--candidate', candidate);
    const { stdout, stderr } = await promisify(execFile)(PATRONICTL, args, { env: { ...process.env, HOME: this.root } }).catch((error: unknown) => {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`patronictl switchover failed: ${(error as Error).message}\n${stdout}${stderr}`, { cause: error });
    });
    // patronictl exits 0 also when the switchover did not happen; it says so on its output.
    if (!/Successfully switched over/.test(stdout)) throw new Error(`patronictl switchover did not switch over:\n${stdout}${stderr}`);
    return this.waitForNewPrimary(leader);
  }

  /** What each part logged, for a failing test's message; without the tracebacks Patroni's REST API logs when a health check hangs up first. */
  logs(): string {
    const patroniLines = (log: string) =>
      log
        .split('\n')
        .filter(
          (line) => /^\d{4}-\d\d-\d\d /.test(line) && !/Exception happened during processing|Traceback \(most recent call last\)|INFO: no action/.test(line),
        )
        .join('\n');
    const parts = [
      ...this.nodes.map((node) => [node.name, node.daemon ? patroniLines(node.daemon.log()) : '(not running)'] as const),
      ['haproxy', this.haproxy?.log() ?? ''] as const,
      ['pgbouncer', this.bouncer?.log() ?? ''] as const,
      ['etcd', this.etcd?.log() ?? ''] as const,
    ];
    return parts.map(([name, log]) => `--- ${name}\n${log.slice(-4000)}`).join('\n');
  }

  /** Stops everything (Patroni shuts its PostgreSQL down) and deletes the folder; a PostgreSQL left behind is killed. */
  async stop(): Promise<void> {
    await this.bouncer?.stop();
    await this.haproxy?.stop();
    const postmasters = this.nodes.map((node) => {
      try {
        return Number(readFileSync(join(node.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      } catch {
        return undefined;
      }
    });
    await Promise.all(this.nodes.map(async (node) => node.daemon?.stop()));
    for (const [index, pid] of postmasters.entries()) {
      if (pid === undefined || !isPostmasterOf(pid, this.nodes[index])) continue;
      for (const child of childrenOf(pid)) signal(child, 'SIGKILL');
      signal(pid, 'SIGKILL');
    }
    await this.etcd?.stop();
    await rm(this.root, { recursive: true, force: true });
  }

  private node(name: string): PatroniNode {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }
}
