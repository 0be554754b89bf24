import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A memory limit as a container gets one: a cgroup of its own, which the server's process is put in before Node starts. */
export interface MemoryCgroup {
  /** `cgroup v2` or `cgroup v1`: which hierarchy the limit is in. */
  kind: string;
  /** The file a process writes its pid to, to enter the cgroup. */
  procsFile: string;
  /** Processes the kernel killed for want of memory in the cgroup so far. */
  oomKills(): number;
  remove(): void;
}

const V2_ROOT = '/sys/fs/cgroup';
const V1_MEMORY = '/sys/fs/cgroup/memory';

function counterOf(file: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/**
 * A cgroup limited to `limitMb` of memory (no swap beyond it), or undefined where the machine does
 * not let this process make one (no memory controller, no permission): the caller then says so.
 */
export function memoryCgroup(name: string, limitMb: number): MemoryCgroup | undefined {
  const bytes = String(limitMb * 1024 * 1024);
  try {
    if (existsSync(join(V2_ROOT, 'cgroup.controllers'))) {
      if (!readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) return undefined;
      writeFileSync(join(V2_ROOT, 'cgroup.subtree_control'), '+memory');
      const dir = join(V2_ROOT, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.max'), bytes);
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      return {
        kind: 'cgroup v2',
        procsFile: join(dir, 'cgroup.procs'),
        oomKills: () => counterOf(join(dir, 'memory.events'), 'oom_kill'),
        remove: () => rmdirSync(dir),
      };
    }
    if (existsSync(join(V1_MEMORY, 'memory.limit_in_bytes'))) {
      const dir = join(V1_MEMORY, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), bytes);
      return {
        kind: 'cgroup v1',
        procsFile: join(dir, 'cgroup.procs'),
        oomKills: () => counterOf(join(dir, 'memory.oom_control'), 'oom_kill'),
        remove: () => rmdirSync(dir),
      };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
