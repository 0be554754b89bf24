import createClient, { type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

/**
 * A typed client of the Mentor Status & Visibility Service. The types come from openapi.json
 * (`npm run client:generate`), so paths, parameters, bodies and every documented answer,
 * problem+json errors included, are checked by the compiler.
 */
export function createMentorStatusClient(baseUrl: string, init: Omit<ClientOptions, 'baseUrl'> = {}) {
  return createClient<paths>({ ...init, baseUrl });
}

export type MentorStatusClient = ReturnType<typeof createMentorStatusClient>;
