import { createHash } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { ProblemException } from '../errors/problem.exception.js';
import { AccessTokens, ISSUER_RETRY_MS, IssuerUnavailable, looksLikeJwt, TokenRejected } from './access-tokens.js';
import { API_SCOPES, ApiScope, matchApiKey } from './api-keys.js';
import { principalOf, setPrincipal, type Principal } from './principal.js';
import { ALWAYS_NEEDS_API_KEY, REQUIRED_SCOPE } from './requires-scope.decorator.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BEARER = /^Bearer +(\S+) *$/i;

/** Longest caller name: what idempotency keys are scoped by is stored in 64 characters. */
const MAX_CALLER_NAME = 64;

/**
 * The name the request was authenticated as, for scoping idempotency keys: an API key's name, or
 * `token:` and a token's subject (a subject too long for that, `token#` and its SHA-256); never
 * one for the other, as key names have no colon. Undefined for unauthenticated requests.
 */
export function callerName(request: FastifyRequest): string | undefined {
  const principal = principalOf(request);
  if (principal === undefined) return undefined;
  if (principal.kind === 'api_key') return principal.id;
  const name = `token:${principal.id}`;
  return name.length <= MAX_CALLER_NAME ? name : `token#${createHash('sha256').update(principal.id).digest('base64url')}`;
}

/** A quoted-string of RFC 7230, for a WWW-Authenticate parameter. */
function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * With API_KEYS or OIDC_ISSUER set, every write needs `Authorization: Bearer <credential>` that
 * has the scope the handler declares with RequiresScope (a handler without one would need `admin`).
 * The credential is an API key when it is one of API_KEYS (compared first, in constant time),
 * else, with OIDC_ISSUER set and the shape of a JWT, an access token of that issuer. Reads stay
 * public, as the contracts have them, unless READS_REQUIRE_AUTH (any valid credential then), and
 * except on routes marked AlwaysNeedsApiKey, which need a credential with their scope for
 * everything and are refused while none can be configured. Neither the header nor a credential is
 * ever logged.
 */
@Injectable()
export class WriteAuthGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('Auth');
  private readonly tokens?: AccessTokens;

  constructor(
    private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    const { oidcIssuer } = config;
    if (oidcIssuer !== undefined) this.tokens = new AccessTokens({ ...config, oidcIssuer } as AppConfig & { oidcIssuer: string });
  }

  private get configured(): boolean {
    return this.config.apiKeys.length > 0 || this.tokens !== undefined;
  }

  onModuleInit(): void {
    if (!this.configured) {
      this.logger.warn('Neither API_KEYS nor OIDC_ISSUER is set: every POST, PUT and DELETE is open to anyone who can reach the service');
      return;
    }
    if (this.config.apiKeys.length > 0) {
      const callers = this.config.apiKeys.map(({ name, scopes }) => `${name} (${scopes.size === API_SCOPES.length ? 'all scopes' : [...scopes].join(', ')})`);
      this.logger.log(`writes need an API key or access token; API-key callers: ${callers.join(', ')}`);
    }
    if (this.tokens) {
      this.logger.log(`access tokens of ${this.config.oidcIssuer} for ${this.config.oidcAudience.join(', ')} are accepted`);
      this.tokens.warmUp();
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const alwaysKeyed = this.reflector.getAllAndOverride<boolean | undefined>(ALWAYS_NEEDS_API_KEY, [context.getHandler(), context.getClass()]) === true;
    if (alwaysKeyed && !this.configured) {
      throw new ProblemException(
        403,
        'This route needs an API key, and the service has none: set API_KEYS (name:key,…) and call it with Authorization: Bearer <key>. It is never open, because whoever manages webhook subscriptions decides where change events are sent.',
        { type: '/problems/api-keys-not-configured' },
      );
    }
    const write = WRITE_METHODS.has(request.method);
    if (!this.configured || (!alwaysKeyed && !write && !this.config.readsRequireAuth)) return true;
    const verified = await this.authenticate(request, reply, alwaysKeyed || write ? (alwaysKeyed ? 'This route needs' : 'Writes need') : 'Reads need');
    const principal: Principal = { ...verified, requestId: request.id };
    if (alwaysKeyed || write) {
      const scope = this.reflector.getAllAndOverride<ApiScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]) ?? 'admin';
      if (!principal.scopes.has(scope)) {
        void reply.header('www-authenticate', `Bearer error="insufficient_scope", scope="${scope}"`);
        const holder = principal.kind === 'api_key' ? `the key of ${principal.id}` : 'the access token';
        throw new ProblemException(
          403,
          `This operation needs ${principal.kind === 'api_key' ? 'an API key' : 'a credential'} with the scope ${scope}; ${holder} does not have it.`,
          {
            type: '/problems/insufficient-scope',
            extensions: { required_scope: scope },
          },
        );
      }
    }
    setPrincipal(request, principal);
    return true;
  }

  private async authenticate(request: FastifyRequest, reply: FastifyReply, need: string): Promise<Omit<Principal, 'requestId'>> {
    const credential = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (credential === undefined) {
      void reply.header('www-authenticate', 'Bearer');
      const what = this.tokens ? (this.config.apiKeys.length > 0 ? 'an API key or an access token' : 'an access token') : 'an API key';
      throw new ProblemException(401, `${need} ${what}: send Authorization: Bearer <${this.tokens ? 'credential' : 'key'}>.`, {
        type: '/problems/unauthorized',
      });
    }
    const key = matchApiKey(this.config.apiKeys, credential);
    if (key !== undefined) return { kind: 'api_key', id: key.name, clientId: null, scopes: key.scopes, person: false, actAs: true, name: key.name };
    if (this.tokens === undefined || !looksLikeJwt(credential)) {
      void reply.header(
        'www-authenticate',
        `Bearer error="invalid_token", error_description=${quoted(this.tokens ? 'neither an API key nor a JWT' : 'not an API key')}`,
      );
      throw new ProblemException(401, this.tokens ? 'The credential is neither a valid API key nor an access token.' : 'The API key is not valid.', {
        type: '/problems/unauthorized',
      });
    }
    try {
      return await this.tokens.verify(credential);
    } catch (error) {
      if (error instanceof IssuerUnavailable) {
        void reply.header('retry-after', String(Math.ceil(ISSUER_RETRY_MS / 1000)));
        throw new ProblemException(503, `The access token cannot be checked now: ${error.message}. Retry later.`, { type: '/problems/issuer-unavailable' });
      }
      if (!(error instanceof TokenRejected)) throw error;
      void reply.header('www-authenticate', `Bearer error="invalid_token", error_description=${quoted(error.message)}`);
      throw new ProblemException(401, `The access token is not valid: ${error.message}.`, { type: '/problems/unauthorized' });
    }
  }
}
