import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Redis, type Result } from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See {@link INCREMENT}. */
    throttleHit(hitsKey: string, stateKey: string, ttlMs: number, limit: number, blockMs: number): Result<[number, number, number, number], Context>;
  }
}

/** The longest a request waits for Redis before it is let through uncounted. */
const COMMAND_TIMEOUT_MS = 500;
/** How long start-up waits for Redis before going on without it. */
const CONNECT_WAIT_MS = 2_000;
const WARN_AT_MOST_EVERY_MS = 60_000;

/**
 * @nestjs/throttler 6's in-memory `increment`, as one atomic script so that every instance counts
 * against the same budget. The same rules: each hit lives `ttl` ms (a sliding window, kept as a
 * sorted set scored by expiry); the window's `expires_at` restarts once passed; with a block
 * duration, the hit that goes over the limit blocks the key for that long, hits while blocked are
 * not counted, and the first hit after the block starts afresh; without one, hits over the limit
 * are refused until the oldest expires. Milliseconds in, whole seconds (rounded up) out. Time is
 * Redis's own, one clock for all instances. Both keys carry one hash tag, for Redis Cluster.
 * Returns totalHits, timeToExpire, isBlocked (0/1), timeToBlockExpire (0 unless blocked).
 */
const INCREMENT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function seconds(ms) return math.ceil(ms / 1000) end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local hits = redis.call('ZCARD', KEYS[1])
local state = redis.call('HMGET', KEYS[2], 'expires_at', 'block_expires_at', 'blocked', 'seq')
local expiresAt = tonumber(state[1]) or (now + ttl)
local blockExpiresAt = tonumber(state[2]) or 0
local blocked = state[3] == '1'
local seq = tonumber(state[4]) or 0
if seconds(expiresAt - now) <= 0 then expiresAt = now + ttl end
local timeToExpire = seconds(expiresAt - now)

local function hit()
  seq = seq + 1
  redis.call('ZADD', KEYS[1], now + ttl, seq)
  hits = hits + 1
end

local totalHits, refused, timeToBlockExpire = 0, false, 0
if block <= 0 then
  refused = hits >= limit
  if refused then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    timeToBlockExpire = oldest[2] and seconds(tonumber(oldest[2]) - now) or timeToExpire
    totalHits = hits + 1
  else
    hit()
    totalHits = hits
  end
else
  if not blocked then hit() end
  if hits > limit and not blocked then
    blocked = true
    blockExpiresAt = now + block
  end
  if blocked and seconds(blockExpiresAt - now) <= 0 then
    blocked = false
    redis.call('DEL', KEYS[1])
    hits = 0
    hit()
  end
  refused = blocked
  if blocked then timeToBlockExpire = seconds(blockExpiresAt - now) end
  totalHits = hits
end

redis.call('HSET', KEYS[2], 'expires_at', expiresAt, 'block_expires_at', blockExpiresAt, 'blocked', blocked and '1' or '0', 'seq', seq)
local keepUntil = math.max(expiresAt, now + ttl, blocked and blockExpiresAt or 0)
redis.call('PEXPIRE', KEYS[1], keepUntil - now)
redis.call('PEXPIRE', KEYS[2], keepUntil - now)
return { totalHits, timeToExpire, refused and 1 or 0, timeToBlockExpire }
`;

/**
 * The rate limiter's counts in Redis (REDIS_URL), shared by every instance. No published storage
 * supports Nest 12, so this is our own. Redis unreachable or slow (past {@link COMMAND_TIMEOUT_MS})
 * never fails a request: the request is let through uncounted, a warning is logged at most once a
 * minute, and {@link failOpenCount} counts such requests for the metrics. ioredis keeps
 * reconnecting in the background and counting resumes by itself.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis;
  private failOpen = 0;
  private lastWarningAt = -Infinity;
  private closed = false;

  constructor(
    url: string,
    private readonly keyPrefix: string,
  ) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      // Fail at once while disconnected instead of queueing requests behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_WAIT_MS,
      // Null ends the reconnecting: a disconnect() that lands while a connect is under way would not always stop it.
      retryStrategy: (attempt) => (this.closed ? null : Math.min(attempt * 200, 2_000)),
    });
    this.redis.on('error', (error: Error) => this.warn(`Redis: ${error.message}`));
    this.redis.defineCommand('throttleHit', { numberOfKeys: 2, lua: INCREMENT });
  }

  /** Requests let through uncounted because Redis did not answer, since start. */
  get failOpenCount(): number {
    return this.failOpen;
  }

  /** Waits a little for Redis, so that counting starts with the first request; starts without it otherwise. */
  async onModuleInit(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, CONNECT_WAIT_MS)));
    await Promise.race([this.redis.connect().catch((error: Error) => this.warn(`Redis: ${error.message}`)), gaveUp]).finally(() => clearTimeout(timer));
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const base = `${this.keyPrefix}throttle:{${throttlerName}:${key}}`;
    try {
      const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = await this.redis.throttleHit(`${base}:hits`, `${base}:state`, ttl, limit, blockDuration);
      return { totalHits, timeToExpire, isBlocked: isBlocked === 1, timeToBlockExpire };
    } catch (error) {
      this.failOpen += 1;
      this.warn(`Redis did not count a request, which was let through: ${(error as Error).message}`);
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  /** The throttler module registers its storage as a provider too, so this may run twice. */
  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private warn(message: string): void {
    if (this.closed) return;
    const now = performance.now();
    if (now - this.lastWarningAt < WARN_AT_MOST_EVERY_MS) return;
    this.lastWarningAt = now;
    this.logger.warn(`${message} (rate limit not enforced while Redis is unreachable; ${this.failOpen} requests uncounted so far)`);
  }
}
