import { duplicatedCalls, killFigures, killPrimaryUnderLoad, resolveUnknown, startFailoverTopology, WRITERS } from '../test/support/failover.js';

/** Acknowledged writes before the kill and again after the recovery, as in the failover suite. */
const WRITES_AROUND_KILL = 64;
const RECOVERY_BOUND_MS = 150_000;

/**
 * `--failover`: the failover suite's kill (test/support/failover.ts) `runs` times, each on a new
 * Patroni cluster: SIGKILL of the primary's Patroni and PostgreSQL under 16 writers using the
 * client package; then every call of unknown outcome retried with its key.
 */
export async function failoverRun(runs: number, log: (line: string) => void) {
  const figures = [];
  for (let run = 1; run <= runs; run++) {
    log(`failover run ${run} of ${runs}: starting etcd, three Patroni nodes, HAProxy, PgBouncer and two instances…`);
    const topology = await startFailoverTopology();
    try {
      const kill = await killPrimaryUnderLoad(topology, `bench${run}`, WRITES_AROUND_KILL, RECOVERY_BOUND_MS);
      const measured = await killFigures(topology, kill);
      const resolution = await resolveUnknown(topology, kill.storm);
      const duplicates = (await duplicatedCalls(topology.primaryUrl, kill.storm.writes)).length;
      figures.push({ ...measured, resolution, duplicates });
      log(`  ${JSON.stringify(figures.at(-1))}`);
    } finally {
      await topology.stop();
    }
  }
  return { results: { writers: WRITERS, runs: figures } };
}
