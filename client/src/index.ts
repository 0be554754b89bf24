import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from '../schema.js';
import { listIterators, type ListIterators } from './list-iterators.js';
import { ProblemError } from './problem-error.js';
import { resilientFetch, type ResilienceOptions } from './resilient-fetch.js';

export type { components, operations, paths } from '../schema.js';
export type { ListInit, ListItem, ListPage, ListPath } from './list-iterators.js';
export { ProblemError, type FieldError, type Problem } from './problem-error.js';
export { ConsistencyTokens, type RetryEvent, type RetryOptions } from './resilient-fetch.js';

export interface MentorStatusClientOptions extends Omit<ClientOptions, 'baseUrl'>, ResilienceOptions {}

/**
 * The typed client: openapi-fetch's, whose paths, parameters, bodies and answers come from the
 * service's OpenAPI document, plus `pages()` and `items()` over lists.
 */
export type MentorStatusClient = Client<paths> & ListIterators;

interface CallResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** A failed answer's `error` as a {@link ProblemError}, also when its body was empty or not JSON. */
function withProblemError<Call extends (...args: never[]) => Promise<CallResult>>(call: Call): Call {
  const wrapped = async (...args: Parameters<Call>): Promise<CallResult> => {
    const result = await call(...args);
    if (result.response.ok) return result;
    return { error: ProblemError.fromResponse(result.response, result.error), response: result.response };
  };
  return wrapped as Call;
}

/**
 * A client of the Mentor Status & Visibility Service at `baseUrl`.
 *
 * - `apiKey`, or the token `accessToken()` returns, is sent as `Authorization: Bearer …` on writes, and on the webhook-subscription routes, which need it to read too.
 * - Every POST carries an `Idempotency-Key` (a UUID per call, kept across its retries).
 * - Network errors, 503 and 429 (after `Retry-After`) are retried within `retry`'s budget where
 *   that is safe: GET, PUT and POST always, DELETE only on 429 and 503.
 * - The greatest `Consistency-Token` of the answers goes with every GET and HEAD (`consistency: false` turns it off), so that
 *   reads show the client's own writes, and nothing older than what it has seen, also where the service reads from replicas.
 * - A failed answer's `error` is a {@link ProblemError}.
 */
export function createMentorStatusClient(baseUrl: string, options: MentorStatusClientOptions = {}): MentorStatusClient {
  const { apiKey, accessToken, retry, consistency, fetch = (input: Request, init?: RequestInit) => globalThis.fetch(input, init), ...init } = options;
  const client = createClient<paths>({ ...init, baseUrl, fetch: resilientFetch(fetch, { apiKey, accessToken, retry, consistency }) });
  client.GET = withProblemError(client.GET);
  client.PUT = withProblemError(client.PUT);
  client.POST = withProblemError(client.POST);
  client.DELETE = withProblemError(client.DELETE);
  client.PATCH = withProblemError(client.PATCH);
  client.HEAD = withProblemError(client.HEAD);
  client.OPTIONS = withProblemError(client.OPTIONS);
  client.TRACE = withProblemError(client.TRACE);
  client.request = withProblemError(client.request);
  return Object.assign(client, listIterators(client));
}
