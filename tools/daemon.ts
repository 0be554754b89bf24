import { spawn, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server process that a test started in a folder of its own. */
export interface Daemon {
  /** Its process id. */
  pid: number;
  /** What it printed so far, stdout and stderr together. */
  log: () => string;
  /** Ends it (SIGTERM) and removes its folder; safe to call twice. */
  stop: () => Promise<void>;
}

/**
 * Starts `command` with its working folder `dir`, and waits, polling, until `ready()` answers true.
 * A process that exits first, or is not ready within `readyWithinMs`, is stopped and the start
 * fails with what it printed.
 */
export async function startDaemon(
  name: string,
  command: string,
  args: readonly string[],
  { dir, spawnOptions = {}, ready, readyWithinMs }: { dir: string; spawnOptions?: SpawnOptions; ready: () => Promise<boolean>; readyWithinMs: number },
): Promise<Daemon> {
  const child = spawn(command, args, { ...spawnOptions, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${name} exited with ${child.exitCode}:\n${log}`);
    }
    if (await ready().catch(() => false)) return { pid: child.pid!, log: () => log, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not ready within ${readyWithinMs} ms:\n${log}`);
    }
    await sleep(50);
  }
}
