import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule, ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const ONE_MINUTE_MS = 60_000;

/**
 * Where the rate limiter counts: in Redis, shared by every instance, when REDIS_URL is set; else in
 * this instance's memory. Injectable as {@link RATE_LIMIT_STORAGE} (metrics read
 * RedisThrottlerStorage.failOpenCount).
 */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [AppConfig],
      // With the limit off nothing is counted, so Redis is not even connected to.
      useFactory: (config: AppConfig): ThrottlerStorage =>
        config.redisUrl && config.rateLimitPerMinute > 0 ? new RedisThrottlerStorage(config.redisUrl, config.redisKeyPrefix) : new ThrottlerStorageService(),
    },
  ],
  exports: [RATE_LIMIT_STORAGE],
})
class RateLimitStorageModule {}

/**
 * Rate limiting of every route (except those marked @SkipThrottle, like /health): at most
 * RATE_LIMIT_PER_MINUTE requests per client address per minute, across all instances with Redis;
 * beyond it, 429 problem+json with Retry-After.
 */
@Module({
  imports: [
    RateLimitStorageModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RATE_LIMIT_STORAGE],
      useFactory: (config: AppConfig, storage: ThrottlerStorage) => ({
        throttlers: [{ name: 'default', ttl: ONE_MINUTE_MS, limit: config.rateLimitPerMinute }],
        storage,
        skipIf: () => config.rateLimitPerMinute === 0,
        // One budget per client for all routes together, rather than one per route.
        generateKey: (_context, tracker, name) => `${name}:${tracker}`,
        errorMessage: `Too many requests: at most ${config.rateLimitPerMinute} a minute per client. Retry after the number of seconds in Retry-After.`,
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  exports: [RateLimitStorageModule],
})
export class SecurityModule {}
