import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCommand } from './repository.js';

export interface PackedClient {
  /** The tarball's path. */
  tarball: string;
  /** The paths inside the package, as `npm pack` lists them. */
  files: string[];
}

/**
 * `npm pack` of client/ into `destination`, as published. Without the prepack build: the run's
 * `npm run build:all` built client/dist already, and suites packing at the same time must not
 * rebuild it under each other.
 */
export async function packClient(destination: string): Promise<PackedClient> {
  const packed = await runCommand('npm', ['pack', '--workspace', '@mentor-status/client', '--ignore-scripts', '--json', '--pack-destination', destination]);
  assert.equal(packed.code, 0, `npm pack failed:\n${packed.stdout}${packed.stderr}`);
  const [summary] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  assert.ok(summary);
  return { tarball: join(destination, summary.filename), files: summary.files.map((file) => file.path) };
}

/**
 * npm in a folder of its own, as a project outside this repository would run it: without the
 * `npm_*` variables that `npm test` hands down (a prefix or workspace among them would point npm
 * back at this repository), from the registry or npm's cache.
 */
export function npmIn(cwd: string, args: string[]) {
  const inherited = Object.keys(process.env).filter((name) => name.toLowerCase().startsWith('npm_'));
  const env = Object.fromEntries(inherited.map((name) => [name, undefined]));
  return runCommand('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], env, cwd);
}
