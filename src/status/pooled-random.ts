import { randomFillSync } from 'node:crypto';

/**
 * Random fractions in [0, 1), in steps of 1/256, drawn from a pooled buffer of the crypto random
 * source. ulid's default generator asks `crypto.getRandomValues` for one byte per character, 16
 * calls an id: 33 µs an id in a loop, and about 70 µs of each POST /mentor-statuses in a profile
 * under load. From the pool an id takes under 1 µs.
 */
export function pooledRandom(poolSize = 256): () => number {
  const pool = Buffer.alloc(poolSize);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    return pool[next++] / 256;
  };
}
