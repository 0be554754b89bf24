/** How hard a call tries before it gives its last answer (or throws its last network error). */
export interface RetryOptions {
  /** Attempts in all, the first one included; `1` turns retrying off. Default 4. */
  maxAttempts?: number;
  /** No attempt starts later than this many milliseconds after the first one; a wait that would end later is not taken. Default 15 000. */
  maxElapsedMs?: number;
  /** The backoff before the first retry is drawn from 0 to this (full jitter), doubling with each retry. Default 200. */
  baseDelayMs?: number;
  /** Longest backoff between two attempts; a `Retry-After` of the service is honoured even when longer. Default 5 000. */
  maxDelayMs?: number;
  /** Called before each wait: for logs and metrics. */
  onRetry?: (retry: RetryEvent) => void;
}

export interface RetryEvent {
  method: string;
  url: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** What it failed with: a status (429, 503, or 409 for an `Idempotency-Key` whose first request is still running) or `network`. */
  reason: number | 'network';
  /** How long the client waits before the next attempt. */
  delayMs: number;
  /** The network error, when `reason` is `network`. */
  error?: unknown;
}

/**
 * The greatest `Consistency-Token` a client has had in an answer. Where the service reads from
 * replicas, every write and read answers one; a GET that sends the greatest back is answered only
 * from a database that has everything up to it, so the caller sees its own writes and never an
 * older state than one it was shown. One per client unless given: pass the same instance to
 * several clients to share it (or seed it, e.g. with a token the server rendered).
 */
export class ConsistencyTokens {
  #greatest: string | undefined;

  constructor(token?: string) {
    this.offer(token);
  }

  get token(): string | undefined {
    return this.#greatest;
  }

  /** Keeps `token` if it is later than the one kept: tokens are opaque, but order as strings of the same length (a longer one is later). */
  offer(token: string | null | undefined): void {
    if (!token) return;
    const kept = this.#greatest;
    if (kept === undefined || token.length > kept.length || (token.length === kept.length && token > kept)) this.#greatest = token;
  }
}

export interface ResilienceOptions {
  /**
   * An API key of the service: sent as `Authorization: Bearer <key>` on writes (POST, PUT, PATCH, DELETE) and on the
   * webhook-subscription routes, which need a key even to read (their answers hold where events go); never on other reads.
   */
  apiKey?: string;
  /**
   * Instead of `apiKey`: a function that returns the current access token (an OpenID Connect
   * issuer's, e.g. a browser app's signed-in person), asked once per call and sent where a key would be.
   */
  accessToken?: () => string | undefined | Promise<string | undefined>;
  /** `false`: one attempt per call. */
  retry?: RetryOptions | false;
  /** Where the greatest `Consistency-Token` is kept, and sent from on every GET and HEAD; `false`: none is kept or sent. Default: one of this client's own. */
  consistency?: ConsistencyTokens | false;
}

const DEFAULTS = { maxAttempts: 4, maxElapsedMs: 15_000, baseDelayMs: 200, maxDelayMs: 5_000 };
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Writes are served by the primary, which has everything: only reads route by a token. */
const READS = new Set(['GET', 'HEAD']);
const CONSISTENCY_TOKEN = 'consistency-token';
/** Reads that need a key: the subscriptions tell where every event goes. */
const KEYED_READS = /\/api\/v1\/webhook-subscriptions(\/|$|\?)/;
const KEY_IN_PROGRESS = '/problems/idempotency-key-in-progress';

/**
 * Which failures a method may be retried after. A POST carries an `Idempotency-Key`, so the
 * service runs it at most once, whatever the number of attempts; GET, HEAD, OPTIONS and PUT are
 * idempotent by definition. A DELETE is retried only on 429 and 503, answers that say it was not
 * done: after a lost answer it may have been done, and a DELETE of a mentor's suppression
 * repeated then would remove a suppression created in between. PATCH is never retried.
 */
function mayRetry(method: string, reason: number | 'network'): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'PUT':
      return reason === 'network' || reason === 429 || reason === 503;
    case 'POST':
      return reason === 'network' || reason === 429 || reason === 503 || reason === 409;
    case 'DELETE':
      return reason === 429 || reason === 503;
    default:
      return false;
  }
}

/** A version 4 UUID from the platform's cryptographic random source (which, unlike `randomUUID`, browsers also offer outside secure contexts). */
export function uuidV4(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

async function isKeyInProgress(response: Response): Promise<boolean> {
  try {
    const body: unknown = await response.clone().json();
    return typeof body === 'object' && body !== null && (body as { type?: unknown }).type === KEY_IN_PROGRESS;
  } catch {
    return false;
  }
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The transport under the typed client: adds the API key or access token to writes, an `Idempotency-Key` to every
 * POST (a new UUID per call unless the caller sent one, the same on each of its attempts) and the
 * greatest `Consistency-Token` to reads, keeps the tokens answers carry, and retries what
 * {@link mayRetry} allows with exponential backoff and full jitter, or after the service's
 * `Retry-After`, within the attempt and time budget.
 */
export function resilientFetch(
  baseFetch: (input: Request, init?: RequestInit) => Promise<Response>,
  { apiKey, accessToken, retry = {}, consistency = new ConsistencyTokens() }: ResilienceOptions,
): (input: Request, init?: RequestInit) => Promise<Response> {
  const policy = { ...DEFAULTS, ...(retry === false ? { maxAttempts: 1 } : retry) };
  return async (input, init) => {
    const method = input.method.toUpperCase();
    const headers = new Headers(input.headers);
    if (WRITES.has(method) || KEYED_READS.test(new URL(input.url).pathname)) {
      const credential = accessToken ? await accessToken() : apiKey;
      if (credential !== undefined) headers.set('authorization', `Bearer ${credential}`);
    }
    if (method === 'POST' && !headers.has('idempotency-key')) headers.set('idempotency-key', uuidV4());
    const token = consistency ? consistency.token : undefined;
    if (token !== undefined && READS.has(method) && !headers.has(CONSISTENCY_TOKEN)) headers.set(CONSISTENCY_TOKEN, token);
    const request = new Request(input, { headers });
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let response: Response | undefined;
      let reason: number | 'network';
      let error: unknown;
      try {
        response = await baseFetch(request.clone(), init);
        if (consistency) consistency.offer(response.headers.get(CONSISTENCY_TOKEN));
        reason = response.status;
        if (!mayRetry(method, reason) || (reason === 409 && !(await isKeyInProgress(response)))) return response;
      } catch (caught) {
        if (request.signal.aborted || !mayRetry(method, 'network')) throw caught;
        reason = 'network';
        error = caught;
      }
      const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round((response && retryAfterMs(response)) ?? backoff);
      const outOfBudget = attempt >= policy.maxAttempts || Date.now() - started + delayMs > policy.maxElapsedMs;
      if (outOfBudget) {
        if (response) return response;
        throw error;
      }
      await response?.body?.cancel();
      policy.onRetry?.({ method, url: request.url, attempt, reason, delayMs, ...(reason === 'network' && { error }) });
      await wait(delayMs, request.signal);
    }
  };
}
