import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { ProblemException } from '../errors/problem.exception.js';
import { API_SCOPES, ApiScope, matchApiKey } from './api-keys.js';
import { ALWAYS_NEEDS_API_KEY, REQUIRED_SCOPE } from './requires-scope.decorator.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BEARER = /^Bearer +(\S+) *$/i;
const callers = new WeakMap<FastifyRequest, string>();

/** The API-key name the request was authenticated with; undefined for reads and while writes are open. */
export function callerName(request: FastifyRequest): string | undefined {
  return callers.get(request);
}

/**
 * With API_KEYS set, every write needs `Authorization: Bearer <key>` of a key that has the scope
 * the handler declares with RequiresScope (a handler without one would need `admin`); reads stay
 * public, as the contracts have them, except on routes marked AlwaysNeedsApiKey, which need a key
 * with their scope for everything and are refused while no keys are configured. Neither the
 * header nor a key is ever logged.
 */
@Injectable()
export class WriteAuthGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    if (this.config.apiKeys.length === 0) {
      this.logger.warn('API_KEYS is not set: every POST, PUT and DELETE is open to anyone who can reach the service');
    } else {
      const callers = this.config.apiKeys.map(({ name, scopes }) => `${name} (${scopes.size === API_SCOPES.length ? 'all scopes' : [...scopes].join(', ')})`);
      this.logger.log(`writes need an API key; callers: ${callers.join(', ')}`);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const alwaysKeyed = this.reflector.getAllAndOverride<boolean | undefined>(ALWAYS_NEEDS_API_KEY, [context.getHandler(), context.getClass()]) === true;
    if (alwaysKeyed && this.config.apiKeys.length === 0) {
      throw new ProblemException(
        403,
        'This route needs an API key, and the service has none: set API_KEYS (name:key,…) and call it with Authorization: Bearer <key>. It is never open, because whoever manages webhook subscriptions decides where change events are sent.',
        { type: '/problems/api-keys-not-configured' },
      );
    }
    if (!alwaysKeyed && (!WRITE_METHODS.has(request.method) || this.config.apiKeys.length === 0)) return true;
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const key = token === undefined ? undefined : matchApiKey(this.config.apiKeys, token);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (key === undefined) {
      void reply.header('www-authenticate', token === undefined ? 'Bearer' : 'Bearer error="invalid_token"');
      throw new ProblemException(
        401,
        token === undefined ? `${alwaysKeyed ? 'This route needs' : 'Writes need'} an API key: send Authorization: Bearer <key>.` : 'The API key is not valid.',
        {
          type: '/problems/unauthorized',
        },
      );
    }
    const scope = this.reflector.getAllAndOverride<ApiScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]) ?? 'admin';
    if (!key.scopes.has(scope)) {
      void reply.header('www-authenticate', `Bearer error="insufficient_scope", scope="${scope}"`);
      throw new ProblemException(403, `This operation needs an API key with the scope ${scope}; the key of ${key.name} does not have it.`, {
        type: '/problems/insufficient-scope',
        extensions: { required_scope: scope },
      });
    }
    callers.set(request, key.name);
    return true;
  }
}
