import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { ProblemException } from '../errors/problem.exception.js';
import { matchApiKey } from './api-keys.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BEARER = /^Bearer +(\S+) *$/i;
const callers = new WeakMap<FastifyRequest, string>();

/** The API-key name the request was authenticated with; undefined for reads and while writes are open. */
export function callerName(request: FastifyRequest): string | undefined {
  return callers.get(request);
}

/**
 * With API_KEYS set, every write needs `Authorization: Bearer <key>`; reads stay public, as the
 * contracts have them. Neither the header nor a key is ever logged.
 */
@Injectable()
export class WriteAuthGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('Auth');

  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    if (this.config.apiKeys.length === 0) {
      this.logger.warn('API_KEYS is not set: every POST, PUT and DELETE is open to anyone who can reach the service');
    } else {
      this.logger.log(`writes need an API key; callers: ${this.config.apiKeys.map((key) => key.name).join(', ')}`);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!WRITE_METHODS.has(request.method) || this.config.apiKeys.length === 0) return true;
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const name = token === undefined ? undefined : matchApiKey(this.config.apiKeys, token);
    if (name === undefined) {
      const reply = context.switchToHttp().getResponse<FastifyReply>();
      void reply.header('www-authenticate', token === undefined ? 'Bearer' : 'Bearer error="invalid_token"');
      throw new ProblemException(401, token === undefined ? 'Writes need an API key: send Authorization: Bearer <key>.' : 'The API key is not valid.', {
        type: '/problems/unauthorized',
      });
    }
    callers.set(request, name);
    return true;
  }
}
