import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { ApiScope } from './api-keys.js';

export const REQUIRED_SCOPE = 'auth:required-scope';
/** OpenAPI 3.0 allows no scopes in the security requirement of an http bearer scheme, so the scope is stated in an extension. */
export const REQUIRED_SCOPE_EXTENSION = 'x-required-scope';

/**
 * The API-key scope a write handler needs, for the write guard to enforce and the OpenAPI
 * document to state. Every write handler declares one: the document cannot be built without it.
 */
export function RequiresScope(scope: ApiScope) {
  return applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiExtension(REQUIRED_SCOPE_EXTENSION, scope));
}

export const ALWAYS_NEEDS_API_KEY = 'auth:always-needs-api-key';

/**
 * Routes that are never open, reads included, even where API_KEYS is unset and other writes are:
 * with no keys configured they are refused (403). Webhook subscriptions decide where every change
 * event is sent, so they are such routes.
 */
export const AlwaysNeedsApiKey = () => SetMetadata(ALWAYS_NEEDS_API_KEY, true);
