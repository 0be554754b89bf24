import { randomFillSync } from 'node:crypto';

/**
 * Random fractions in [0, 1), in steps of 1/256, drawn from a pooled buffer of the crypto random
 * source. ulid's default generator asks `crypto.getRandomValues` for one byte per character, 16
 * calls an id, which showed in CPU profiles of POST /mentor-statuses; one refill serves many ids.
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
