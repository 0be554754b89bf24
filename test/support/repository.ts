import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root directory (tests run compiled, from build/test). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command of the repository's toolchain, from its root unless told otherwise, without a
 * shell, and collects its output. `env` adds to the test's environment; an undefined value unsets.
 */
export function runCommand(command: string, args: string[], env: Record<string, string | undefined> = {}, cwd = repoRoot): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Where two texts first differ, as `line N: expected … got …`, for failure messages that stay short. */
export function firstDifference(expected: string, actual: string): string {
  const expectedLines = expected.split('\n');
  const actualLines = actual.split('\n');
  const index = expectedLines.findIndex((line, i) => line !== actualLines[i]);
  const at = index === -1 ? expectedLines.length : index;
  return `line ${at + 1}: expected ${JSON.stringify(expectedLines[at] ?? '<end>')}, got ${JSON.stringify(actualLines[at] ?? '<end>')}`;
}
