import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { ProblemException } from '../errors/problem.exception.js';
import { matchApiKey } from './api-keys.js';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * For routes that must never be open, reads included, even where API_KEYS is unset and other
 * writes are: with no keys configured they are refused (403) rather than served to anyone.
 */
@Injectable()
export class ApiKeyRequiredGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.config.apiKeys.length === 0) {
      throw new ProblemException(
        403,
        'This route needs an API key, and the service has none: set API_KEYS (name:key,…) and call it with Authorization: Bearer <key>. It is never open, because whoever manages webhook subscriptions decides where change events are sent.',
        { type: '/problems/api-keys-not-configured' },
      );
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || matchApiKey(this.config.apiKeys, token) === undefined) {
      void context
        .switchToHttp()
        .getResponse<FastifyReply>()
        .header('www-authenticate', token === undefined ? 'Bearer' : 'Bearer error="invalid_token"');
      throw new ProblemException(401, token === undefined ? 'This route needs an API key: send Authorization: Bearer <key>.' : 'The API key is not valid.', {
        type: '/problems/unauthorized',
      });
    }
    return true;
  }
}
