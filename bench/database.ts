import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { freePort } from '../tools/free-port.js';

/** A PostgreSQL server for the run: the one at DATABASE_URL, or an embedded cluster of its own. */
export interface BenchServer {
  /** What and where it is, for the report: `PostgreSQL 18.1 (embedded)`. */
  description: string;
  /** A new, empty database on the server, dropped by {@link BenchServer.close}. */
  createDatabase(): Promise<string>;
  /** Runs one statement as the server's admin (settings of a database the run created). */
  admin(sql: string): Promise<void>;
  /** A copy of a database the run created (CREATE DATABASE … TEMPLATE: nobody may be connected to it), dropped at the end too. */
  cloneDatabase(url: string): Promise<string>;
  close(): Promise<void>;
}

async function asAdmin(adminUrl: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The server as the report names it: its version and where it is (`PostgreSQL 18.1 (embedded)`). */
async function describePostgres(adminUrl: string, where: string): Promise<string> {
  const [{ server_version }] = await asAdmin(adminUrl, 'SHOW server_version');
  return `PostgreSQL ${String(server_version)} (${where})`;
}

async function serverWith(adminUrl: string, where: string, stop: () => Promise<void>): Promise<BenchServer> {
  const created: string[] = [];
  const description = await describePostgres(adminUrl, where);
  const create = async (template?: string) => {
    // A generated name: the run never touches a database it did not create.
    const name = `mss_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
    await asAdmin(adminUrl, `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
    created.push(name);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
  return {
    description,
    createDatabase: () => create(),
    async cloneDatabase(url: string) {
      const template = new URL(url).pathname.slice(1);
      if (!created.includes(template)) throw new Error(`${template} is not a database of this run`);
      return create(template);
    },
    async admin(sql: string) {
      await asAdmin(adminUrl, sql);
    },
    async close() {
      try {
        for (const name of created) await asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await stop();
      }
    },
  };
}

export async function startBenchServer(databaseUrl: string | undefined): Promise<BenchServer> {
  if (databaseUrl) return serverWith(databaseUrl, 'at DATABASE_URL', async () => undefined);
  const clusterDir = await mkdtemp(join(tmpdir(), 'mss-bench-pg-'));
  // The cluster runs as the unprivileged postgres user when started as root.
  await chmod(clusterDir, 0o755);
  const embedded = await EmbeddedDatabase.start({ dataDir: clusterDir, port: await freePort(), database: 'mss_bench_admin' });
  return serverWith(embedded.url, 'embedded', async () => {
    await embedded.stop();
    await rm(clusterDir, { recursive: true, force: true });
  });
}
