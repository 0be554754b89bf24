import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import request from 'supertest';
import { RedisThrottlerStorage } from '../../src/common/security/redis-throttler.storage.js';
import { RATE_LIMIT_STORAGE } from '../../src/common/security/security.module.js';
import { freePort } from '../../tools/free-port.js';
import { waitUntil } from '../support/poll.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** The machine's Redis (CI runs one on 127.0.0.1:6379). */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMIT = 6;

/** A key prefix of this test's own, so that parallel runs never share a count. */
const uniquePrefix = () => `mss-test:${process.pid}:${randomBytes(4).toString('hex')}:`;

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

describe('rate limit in Redis (REDIS_URL), shared by every instance', () => {
  const prefix = uniquePrefix();
  let t: TestApp;
  let second: NestFastifyApplication;
  let instances: Server[];
  before(async () => {
    const env = { RATE_LIMIT_PER_MINUTE: String(LIMIT), REDIS_URL, REDIS_KEY_PREFIX: prefix };
    t = await startTestApp(env);
    second = await t.instance(env);
    instances = [t.http, second.getHttpServer()];
  });
  after(async () => {
    await second.close();
    await t.close();
    await deleteKeys(prefix);
  });

  it(`two instances share one budget: ${LIMIT} requests split across them pass, the next gets 429 on either`, async () => {
    const remaining: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const answer = await request(instances[i % 2]).get('/api/v1/mentor-statuses');
      assert.equal(answer.status, 200);
      remaining.push(Number(answer.headers['x-ratelimit-remaining']));
    }
    assert.deepEqual(remaining, [5, 4, 3, 2, 1, 0], 'each instance saw the hits of the other');
    for (const http of instances) {
      const refused = await request(http).get('/api/v1/mentor-statuses');
      assertProblem(refused, 429);
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${refused.headers['retry-after']}`);
    }
  });

  it('keeps its counts under REDIS_KEY_PREFIX, each with an expiry', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}*`);
      assert.ok(keys.length >= 2, `keys: ${keys.join(', ')}`);
      for (const key of keys) assert.ok((await redis.pttl(key)) > 0, `${key} expires`);
    } finally {
      redis.disconnect();
    }
  });
});

describe('rate limit with Redis unreachable', () => {
  let t: TestApp;
  before(async () => {
    // Nothing listens there: every command fails at once.
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '2', REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_KEY_PREFIX: uniquePrefix() });
  });
  after(() => t.close());

  it('lets every request through (never a 500, never a 429) and counts them for the metrics', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await request(t.http).get('/api/v1/mentor-statuses')).status, 200);
    const storage = t.app.get<RedisThrottlerStorage>(RATE_LIMIT_STORAGE);
    assert.ok(storage instanceof RedisThrottlerStorage);
    assert.ok(storage.failOpenCount >= 5, `uncounted: ${storage.failOpenCount}`);
  });
});

describe("RedisThrottlerStorage gives what @nestjs/throttler's own storage gives", () => {
  const prefix = uniquePrefix();
  let redis: RedisThrottlerStorage;
  let memory: ThrottlerStorageService;
  before(async () => {
    redis = new RedisThrottlerStorage(REDIS_URL, prefix);
    await redis.onModuleInit();
    memory = new ThrottlerStorageService();
  });
  after(async () => {
    await redis.onApplicationShutdown();
    memory.onApplicationShutdown();
    await deleteKeys(prefix);
  });

  const both = async (key: string, ttl: number, limit: number, blockDuration: number) => {
    const [fromRedis, fromMemory] = await Promise.all([
      redis.increment(key, ttl, limit, blockDuration, 'default'),
      memory.increment(key, ttl, limit, blockDuration, 'default'),
    ]);
    // The built-in storage reports a meaningless (negative) timeToBlockExpire while not blocked; the guard reads it only when blocked.
    const comparable = (record: typeof fromRedis) => ({ ...record, timeToBlockExpire: record.isBlocked ? record.timeToBlockExpire : 0 });
    assert.deepEqual(comparable(fromRedis), comparable(fromMemory), `${key}: ${JSON.stringify(fromRedis)} vs ${JSON.stringify(fromMemory)}`);
    return fromRedis;
  };

  it('with a block duration: counts up to the limit, then blocks for that duration without counting', async () => {
    const records = [];
    for (let i = 0; i < 6; i++) records.push(await both('blocking', 60_000, 3, 30_000));
    assert.deepEqual(
      records.map((record) => [record.totalHits, record.isBlocked]),
      [
        [1, false],
        [2, false],
        [3, false],
        [4, true],
        [4, true],
        [4, true],
      ],
    );
    assert.deepEqual(
      records.map((record) => record.timeToExpire),
      [60, 60, 60, 60, 60, 60],
    );
    assert.equal(records[3].timeToBlockExpire, 30);
  });

  it('without a block duration: refuses while the limit is reached, until the oldest hit expires', async () => {
    const records = [];
    for (let i = 0; i < 4; i++) records.push(await both('sliding', 60_000, 2, 0));
    assert.deepEqual(
      records.map((record) => [record.totalHits, record.isBlocked, record.timeToBlockExpire]),
      [
        [1, false, 0],
        [2, false, 0],
        [3, true, 60],
        [3, true, 60],
      ],
    );
  });

  it('after the block has passed, the next hit starts afresh', async () => {
    assert.equal((await redis.increment('short', 200, 1, 200, 'default')).isBlocked, false);
    assert.equal((await redis.increment('short', 200, 1, 200, 'default')).isBlocked, true);
    let after: Awaited<ReturnType<RedisThrottlerStorage['increment']>> | undefined;
    await waitUntil(async () => !(after = await redis.increment('short', 200, 1, 200, 'default')).isBlocked, 'the block has passed', 5_000);
    assert.equal(after?.totalHits, 1);
  });
});
