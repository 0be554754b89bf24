import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config.js';

const ONE_MINUTE_MS = 60_000;

/**
 * Rate limiting of every route (except those marked @SkipThrottle, like /health): at most
 * RATE_LIMIT_PER_MINUTE requests per client address per minute, counted on each instance;
 * beyond it, 429 problem+json with Retry-After.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'default', ttl: ONE_MINUTE_MS, limit: config.rateLimitPerMinute }],
        skipIf: () => config.rateLimitPerMinute === 0,
        // One budget per client for all routes together, rather than one per route.
        generateKey: (_context, tracker, name) => `${name}:${tracker}`,
        errorMessage: `Too many requests: at most ${config.rateLimitPerMinute} a minute per client. Retry after the number of seconds in Retry-After.`,
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class SecurityModule {}
