import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Where Debian puts the PostgreSQL 15 server binaries (initdb, pg_ctl, pg_basebackup, postgres). */
export const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Uid and gid of the `postgres` OS user: PostgreSQL and PgBouncer refuse to run as root, which the tests are. */
export function postgresUser(): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'));
  if (!entry) throw new Error('there is no `postgres` OS user to run the server as');
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A new temporary folder that the `postgres` user owns. */
export async function postgresOwnedTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const { uid, gid } = postgresUser();
  await chown(dir, uid, gid);
  return dir;
}

/** Runs a program as the `postgres` user in `cwd` (a folder that user can enter) and fails with its output. */
export async function runAsPostgres(cwd: string, command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, { cwd, ...postgresUser(), env: { ...process.env, HOME: cwd } });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${(error as Error).message}\n${stdout}${stderr}`, { cause: error });
  }
}
