import { isIP } from 'node:net';
import { parseApiKeys } from '../auth/api-keys.js';
import { isLoopbackHost, parseScopeMap } from '../auth/token-claims.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The package's name: what the service calls itself in traces unless OTEL_SERVICE_NAME says otherwise. */
export const SERVICE_NAME = 'mentor-status-service';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Turns one variable's text into its value, or throws a message that completes "NAME …" and never repeats a secret. */
type Parse<T> = (raw: string) => T;

function integer(min: number, max: number): Parse<number> {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be a whole number from ${min} to ${max}`);
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be from ${min} to ${max}`);
    return value;
  };
}

const text: Parse<string> = (raw) => raw;

const boolean: Parse<boolean> = (raw) => {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error('must be true or false');
};

function oneOf<const T extends string>(values: readonly T[]): Parse<T> {
  return (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

function matching(pattern: RegExp, expectation: string): Parse<string> {
  return (raw) => {
    if (!pattern.test(raw)) throw new Error(`must be ${expectation}`);
    return raw;
  };
}

const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;

const postgresUrls: Parse<string[]> = (raw) =>
  raw.split(',').map((entry) => {
    const url = entry.trim();
    if (!POSTGRES_URL.test(url)) throw new Error('must be a comma-separated list of postgres:// or postgresql:// URLs');
    return url;
  });

/** Which transaction pooler, if any, stands between the service and PostgreSQL at DATABASE_URL; `auto`: found out at start (database/pooler-detection.ts). */
export const DATABASE_POOLERS = ['auto', 'none', 'pgbouncer'] as const;
export type DatabasePooler = (typeof DATABASE_POOLERS)[number];

/** Fastify's `trustProxy`: how many proxy hops to trust, or the proxies' addresses; false trusts none. */
export type TrustProxy = false | number | string[];

function isAddressOrSubnet(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxy: Parse<TrustProxy> = (raw) => {
  if (/^\d+$/.test(raw.trim())) {
    const hops = Number(raw);
    if (hops > 100) throw new Error('must be a number of proxy hops from 0 to 100, or a comma-separated list of proxy addresses or CIDR ranges');
    return hops === 0 ? false : hops;
  }
  return raw.split(',').map((entry) => {
    const subnet = entry.trim();
    if (!isAddressOrSubnet(subnet)) {
      throw new Error('must be a number of proxy hops, or a comma-separated list of proxy addresses or CIDR ranges such as 10.0.0.0/8, ::1');
    }
    return subnet;
  });
};

/** `https://app.example.org`: scheme, host and optional port, no path. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** Host names or IP addresses, comma-separated; compared with a URL's host name, case-insensitively and without IPv6 brackets. */
const hosts: Parse<string[]> = (raw) =>
  raw.split(',').map((entry) => {
    const host = entry
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1');
    if (!/^[a-z0-9.:-]{1,253}$/.test(host)) throw new Error('must be a comma-separated list of host names or IP addresses, such as hooks.internal,10.0.0.5');
    return host;
  });

const origins: Parse<string[]> = (raw) =>
  raw.split(',').map((entry) => {
    const origin = entry.trim();
    if (!ORIGIN.test(origin)) throw new Error('must be a comma-separated list of origins such as https://app.example.org');
    return origin;
  });

interface Variable<T, Values> {
  env: string;
  parse: Parse<T>;
  /** The value when the variable is unset or empty; a function when it follows from other settings. */
  default: T | ((values: Partial<Values>) => T);
  /** What the variable does, as the README's configuration table says it. */
  description: string;
  /** Checks a value that was set against the settings above it; throws like `parse`. */
  check?(value: T, values: Partial<Values>): void;
}

/**
 * Every setting the service reads, each declared once: its variable, how it is validated, its
 * default and what it means. `loadConfig` reads them in this order, so a default may follow from
 * a setting above it. The README's configuration table lists the same (a test compares them).
 */
const variables = {
  port: { env: 'PORT', parse: integer(0, 65535), default: 3000, description: 'HTTP port' },
  host: { env: 'HOST', parse: text, default: '0.0.0.0', description: 'interface to listen on' },
  databaseUrl: {
    env: 'DATABASE_URL',
    parse: matching(POSTGRES_URL, 'a postgres:// or postgresql:// URL'),
    default: undefined,
    description: '`postgres://…` of the database to use; unset starts the embedded PostgreSQL',
  },
  databaseDirectUrl: {
    env: 'DATABASE_DIRECT_URL',
    parse: matching(POSTGRES_URL, 'a postgres:// or postgresql:// URL'),
    default: (values: { databaseUrl?: string }) => values.databaseUrl,
    check: (_value: string | undefined, values: { databaseUrl?: string }) => {
      if (values.databaseUrl === undefined) throw new Error('needs DATABASE_URL too');
    },
    description:
      "the same database reached directly, not through a transaction pooler, for what needs a session of its own: migrations and their lock, the sweeps' locks, LISTEN; default `DATABASE_URL` (behind a transaction pooler: see `DATABASE_POOLER`)",
  },
  databasePooler: {
    env: 'DATABASE_POOLER',
    parse: oneOf(DATABASE_POOLERS),
    default: 'auto',
    check: (value: DatabasePooler, values: { databaseUrl?: string }) => {
      if (value === 'pgbouncer' && values.databaseUrl === undefined) throw new Error(`set to ${value} needs DATABASE_URL (the pooler)`);
    },
    description:
      '`pgbouncer`: `DATABASE_URL` goes through a transaction pooler (no session settings at connect, `statement_timeout` set in each transaction, sessions over `DATABASE_DIRECT_URL`); `none`: it reaches PostgreSQL itself; `auto` tells them apart at start by whether the connection keeps a startup parameter, and logs what it found',
  },
  databaseReplicaUrls: {
    env: 'DATABASE_REPLICA_URLS',
    parse: postgresUrls,
    default: [],
    check: (_value: string[], values: { databaseUrl?: string }) => {
      if (values.databaseUrl === undefined) throw new Error('needs DATABASE_URL too (the primary)');
    },
    description:
      'comma-separated `postgres://…` of streaming replicas of the database: single-resource GETs, lists and chapter views read from them in turn, skipping any that is down or lags more than `REPLICA_MAX_LAG_MS`; unset reads from the primary',
  },
  replicaMaxLagMs: {
    env: 'REPLICA_MAX_LAG_MS',
    parse: integer(0, 3_600_000),
    default: 1000,
    description: 'a replica further behind the primary than this is skipped until it has caught up',
  },
  dbPoolSize: { env: 'DB_POOL_SIZE', parse: integer(1, 200), default: 10, description: 'connections in the pool' },
  dataDir: { env: 'DATA_DIR', parse: text, default: '.data', description: "folder for the embedded PostgreSQL's files (`$DATA_DIR/postgres`)" },
  embeddedPgPort: { env: 'EMBEDDED_PG_PORT', parse: integer(1, 65535), default: 54329, description: 'port of the embedded PostgreSQL (loopback only)' },
  logLevel: { env: 'LOG_LEVEL', parse: oneOf(LOG_LEVELS), default: 'info', description: 'least severe level that is logged' },
  demoData: {
    env: 'DEMO_DATA',
    parse: boolean,
    default: (values: { databaseUrl?: string }) => values.databaseUrl === undefined,
    description: 'load the demo data into an empty database at start; default `true` embedded, `false` with `DATABASE_URL`',
  },
  bodyLimitBytes: {
    env: 'BODY_LIMIT_BYTES',
    parse: integer(1024, 10 * 1024 * 1024),
    default: 100 * 1024,
    description: 'largest request body; larger ones get 413',
  },
  bulkBodyLimitBytes: {
    env: 'BULK_BODY_LIMIT_BYTES',
    parse: integer(1024, 64 * 1024 * 1024),
    default: 2 * 1024 * 1024,
    description: 'largest body of the two bulk routes (500 items)',
  },
  apiKeys: {
    env: 'API_KEYS',
    parse: parseApiKeys,
    default: [],
    description:
      '`name:key[:scope+scope…],…` (name 1–64 of `[A-Za-z0-9_.-]`, key 16–256 token characters, scopes of `statuses:write`, `suppressions:write`, `mentors:write`, `admin`; none listed = all): every POST/PUT/DELETE then needs `Authorization: Bearer <key>` of a key with its scope; unset leaves writes open (warned at start)',
  },
  oidcAudience: {
    env: 'OIDC_AUDIENCE',
    parse: (raw: string) => raw.split(',').map((entry) => entry.trim()),
    default: [],
    description: "comma-separated values of which an access token's `aud` must contain one: the service's identifier at the issuer",
  },
  oidcIssuer: {
    env: 'OIDC_ISSUER',
    parse: (raw: string) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error('must be the URL of an OpenID Connect issuer, such as https://login.example.org/realms/mentors');
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
        throw new Error('must be an https:// URL (http:// only on a loopback host)');
      }
      return raw;
    },
    default: undefined,
    check: (_value: string | undefined, values: { oidcAudience?: string[] }) => {
      if (!values.oidcAudience?.length) throw new Error('needs OIDC_AUDIENCE too: without it a token issued for another service would be accepted');
    },
    description:
      'issuer whose access tokens (`Authorization: Bearer <JWT>`) are accepted beside API keys, its keys found through its discovery document; see docs/SECURITY.md',
  },
  oidcScopeClaim: {
    env: 'OIDC_SCOPE_CLAIM',
    parse: matching(/^[A-Za-z0-9_.:-]{1,64}$/, 'a claim name'),
    default: undefined,
    description: "the token's claim that holds its scopes (a space-separated string or an array); unset: `scope`, else `scp`",
  },
  oidcScopeMap: {
    env: 'OIDC_SCOPE_MAP',
    parse: parseScopeMap,
    default: undefined,
    description:
      "`token-scope=scope,…`: the service's scope (or `act_as`) that each scope of a token grants; unset: each scope grants the one of the same name",
  },
  oidcPersonClaim: {
    env: 'OIDC_PERSON_CLAIM',
    parse: matching(/^[A-Za-z0-9_.:-]{1,64}$/, 'a claim name'),
    default: undefined,
    description:
      "a token with this claim is a person's, one without it a service's; unset: a token is a person's unless its `sub` is its `client_id` (or `azp`)",
  },
  oidcSubjectClaim: {
    env: 'OIDC_SUBJECT_CLAIM',
    parse: matching(/^[A-Za-z0-9_.:-]{1,64}$/, 'a claim name'),
    default: 'sub',
    description: 'the claim whose value a token may write as its `changed_by` / `coordinator_id`',
  },
  corsOrigins: { env: 'CORS_ORIGINS', parse: origins, default: [], description: 'comma-separated browser origins allowed to call the API; unset allows none' },
  readsRequireAuth: {
    env: 'READS_REQUIRE_AUTH',
    parse: boolean,
    default: false,
    check: (value: boolean, values: { apiKeys?: unknown[]; oidcIssuer?: string }) => {
      if (value && !values.apiKeys?.length && values.oidcIssuer === undefined) throw new Error('needs API_KEYS or OIDC_ISSUER');
    },
    description: 'reads need an API key or access token too (any scope)',
  },
  rateLimitPerMinute: {
    env: 'RATE_LIMIT_PER_MINUTE',
    parse: integer(0, 1_000_000),
    default: 1000,
    description:
      'requests per client address per minute (`/health` excepted), counted in Redis across instances with `REDIS_URL`, else per instance; `0` turns it off',
  },
  redisUrl: {
    env: 'REDIS_URL',
    parse: matching(/^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL'),
    default: undefined,
    description:
      "Redis that holds the rate limit counts, shared by every instance; unset counts in each instance's memory. While Redis is unreachable requests are let through (logged)",
  },
  redisKeyPrefix: {
    env: 'REDIS_KEY_PREFIX',
    parse: matching(/^[A-Za-z0-9:_.-]{1,64}$/, '1 to 64 of A-Z a-z 0-9 : _ . -'),
    default: 'mss:',
    description: 'prefix of every key the service writes to Redis, so that services or environments can share one',
  },
  trustProxy: {
    env: 'TRUST_PROXY',
    parse: trustProxy,
    default: false,
    description:
      'proxies in front of the service whose `X-Forwarded-For` names the client: a number of hops, or comma-separated addresses or CIDR ranges (`10.0.0.0/8,::1`); the rate limit, `CLIENT_CONCURRENCY` and the logs then use that address. Unset trusts no one',
  },
  dbStatementTimeoutMs: {
    env: 'DB_STATEMENT_TIMEOUT_MS',
    parse: integer(0, 3_600_000),
    default: 10_000,
    description:
      "PostgreSQL `statement_timeout` of the app's statements (not of migrations); behind a transaction pooler set in each transaction ([operations](docs/OPERATIONS.md#behind-pgbouncer)); `0` is none",
  },
  dbQueryTimeoutMs: {
    env: 'DB_QUERY_TIMEOUT_MS',
    parse: integer(0, 7_200_000),
    default: (values: { dbStatementTimeoutMs?: number }) => (values.dbStatementTimeoutMs ? values.dbStatementTimeoutMs + 1000 : 0),
    check: (value: number, values: { dbStatementTimeoutMs?: number }) => {
      // The server's own timeout must come first: it cancels the statement and keeps the connection, where ours discards it.
      if (value > 0 && values.dbStatementTimeoutMs && value <= values.dbStatementTimeoutMs) {
        throw new Error(`must be greater than DB_STATEMENT_TIMEOUT_MS (${values.dbStatementTimeoutMs}), or 0`);
      }
    },
    description:
      "longest wait for a query's answer, timed by the service even when the database does not answer at all: past it the request gets 503 and the connection is discarded; default `DB_STATEMENT_TIMEOUT_MS` + 1000, `0` (none) when that is `0`",
  },
  dbConnectTimeoutMs: {
    env: 'DB_CONNECT_TIMEOUT_MS',
    parse: integer(100, 600_000),
    default: 3_000,
    description: 'longest wait for a pool connection; past it the request gets 503',
  },
  dbFailFastProbeMs: {
    env: 'DB_FAIL_FAST_PROBE_MS',
    parse: integer(0, 60_000),
    default: 250,
    description:
      'once a timeout or a lost connection is confirmed by a probe (`SELECT 1` on a connection of its own, bounded to 1 s), requests to the primary fail at once with 503 instead of waiting out the timeouts, and the probe runs every this many ms until the primary answers again; `0` turns failing fast off',
  },
  clientConcurrency: {
    env: 'CLIENT_CONCURRENCY',
    parse: integer(0, 10_000),
    default: (values: { dbPoolSize?: number }) => Math.max(1, Math.floor((values.dbPoolSize ?? 10) / 2)),
    description:
      'requests of one client address that run at once; further ones wait their turn, so one client cannot hold the whole pool; default half of `DB_POOL_SIZE`; `0` turns it off (behind a load balancer, set `TRUST_PROXY` so that clients are told apart)',
  },
  certSweepIntervalSeconds: {
    env: 'CERT_SWEEP_INTERVAL_SECONDS',
    parse: integer(0, 86_400),
    default: 300,
    description: 'seconds between scheduled certification sweeps; `0` turns the schedule off',
  },
  resumeSweepIntervalSeconds: {
    env: 'RESUME_SWEEP_INTERVAL_SECONDS',
    parse: integer(0, 86_400),
    default: 60,
    description: 'seconds between sweeps that resume the pauses whose `resume_at` has come; `0` turns them off',
  },
  exportMaxConcurrent: {
    env: 'EXPORT_MAX_CONCURRENT',
    parse: integer(1, 100),
    default: 2,
    description:
      'exports (`/api/v1/exports/…`) one instance streams at once, each on a pool connection of its own for as long as it runs; more get 503 with `Retry-After`',
  },
  exportTimeoutSeconds: {
    env: 'EXPORT_TIMEOUT_SECONDS',
    parse: integer(1, 86_400),
    default: 900,
    description: 'longest an export may stream, slow clients included; past it the export is cut (the answer ends unfinished) and its transaction ends',
  },
  shutdownGraceMs: {
    env: 'SHUTDOWN_GRACE_MS',
    parse: integer(100, 600_000),
    default: 10_000,
    description: 'on SIGTERM/SIGINT, how long requests in flight may take to finish; past it the process exits with code 1',
  },
  shutdownDrainMs: {
    env: 'SHUTDOWN_DRAIN_MS',
    parse: integer(0, 600_000),
    default: 5_000,
    description:
      'on SIGTERM, how long the service keeps serving with readiness already 503 (answers say `Connection: close`), so that a load balancer ' +
      'takes the instance out before it refuses requests; then SHUTDOWN_GRACE_MS begins. On by default, since the service runs behind a balancer; ' +
      'set it above the time the balancer takes to see readiness fail, or `0` to refuse at once (SIGINT never drains, a second signal ends the drain)',
  },
  requestTimeoutMs: {
    env: 'REQUEST_TIMEOUT_MS',
    parse: integer(100, 600_000),
    default: 30_000,
    description: 'time a client has to send a whole request, headers and body; past it the answer is 408 and the connection is closed',
  },
  maxConnections: {
    env: 'MAX_CONNECTIONS',
    parse: integer(1, 1_000_000),
    default: 1024,
    description: 'open client connections per instance; connections beyond it are closed at once, unserved',
  },
  keepAliveTimeoutMs: {
    env: 'KEEP_ALIVE_TIMEOUT_MS',
    parse: integer(100, 3_600_000),
    default: 65_000,
    description: 'how long an idle kept-alive connection stays open; keep it above the idle timeout of the load balancer in front',
  },
  eventsRetentionDays: {
    env: 'EVENTS_RETENTION_DAYS',
    parse: integer(1, 3650),
    default: 30,
    description: 'days change events are kept in the outbox (feed, webhooks, JetStream); a feed cursor from before that is 410',
  },
  eventsPruneIntervalSeconds: {
    env: 'EVENTS_PRUNE_INTERVAL_SECONDS',
    parse: integer(0, 86_400),
    default: 3600,
    description: 'seconds between deletions of events older than `EVENTS_RETENTION_DAYS`; `0` turns them off',
  },
  webhookAllowHttp: {
    env: 'WEBHOOK_ALLOW_HTTP',
    parse: boolean,
    default: false,
    description: 'accept `http://` webhook URLs as well as `https://` (for receivers inside a trusted network)',
  },
  webhookAllowedHosts: {
    env: 'WEBHOOK_ALLOWED_HOSTS',
    parse: hosts,
    default: [],
    description:
      'comma-separated host names or IPs that webhook URLs may point at even though they are loopback, private, link-local or metadata addresses (refused otherwise, at creation and after DNS resolution at delivery)',
  },
  webhookWorkers: {
    env: 'WEBHOOK_WORKERS',
    parse: integer(0, 64),
    default: 4,
    description: 'subscriptions this instance delivers to at once (each in event order); `0`: this instance delivers none',
  },
  webhookLeaseSeconds: {
    env: 'WEBHOOK_LEASE_SECONDS',
    parse: integer(1, 3600),
    default: 60,
    description: "how long a worker's claim on a subscription lasts unless renewed; an instance that dies has its claims taken over after it",
  },
  webhookConnectTimeoutMs: {
    env: 'WEBHOOK_CONNECT_TIMEOUT_MS',
    parse: integer(100, 60_000),
    default: 5_000,
    description: 'longest wait for a webhook receiver to accept the connection',
  },
  webhookTimeoutMs: {
    env: 'WEBHOOK_TIMEOUT_MS',
    parse: integer(100, 300_000),
    default: 10_000,
    description: 'longest a webhook delivery may take in all, reading the answer included',
  },
  webhookRetryBaseMs: {
    env: 'WEBHOOK_RETRY_BASE_MS',
    parse: integer(1, 3_600_000),
    default: 5_000,
    description: 'first retry delay of a failed delivery; it doubles with each attempt (with jitter) up to `WEBHOOK_RETRY_MAX_MS`',
  },
  webhookRetryMaxMs: {
    env: 'WEBHOOK_RETRY_MAX_MS',
    parse: integer(1, 86_400_000),
    default: 3_600_000,
    description: 'longest delay between two attempts of one delivery',
  },
  webhookRetryForSeconds: {
    env: 'WEBHOOK_RETRY_FOR_SECONDS',
    parse: integer(1, 7 * 86_400),
    default: 86_400,
    description: 'how long a delivery is retried before it is given up (`failed`) and the next event follows',
  },
  webhookDisableAfterSeconds: {
    env: 'WEBHOOK_DISABLE_AFTER_SECONDS',
    parse: integer(1, 30 * 86_400),
    default: 3 * 86_400,
    description: 'a subscription whose deliveries fail this long without a success is disabled (event `webhook.subscription.disabled`)',
  },
  natsUrl: {
    env: 'NATS_URL',
    parse: matching(/^(nats|tls):\/\/\S+$/, 'a nats:// or tls:// URL (several separated by commas)'),
    default: undefined,
    description: 'NATS server(s) with JetStream: every event is also published to the stream `NATS_STREAM`; unset: no publication',
  },
  natsStream: {
    env: 'NATS_STREAM',
    parse: matching(/^[A-Za-z0-9_-]{1,64}$/, '1 to 64 of A-Z, a-z, 0-9, _ or -'),
    default: 'MENTOR_EVENTS',
    description: 'the JetStream stream the events go to (created, or updated to the settings below, at start)',
  },
  natsSubjectPrefix: {
    env: 'NATS_SUBJECT_PREFIX',
    parse: matching(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated NATS subject tokens'),
    default: 'mentor-status.events',
    description: 'subjects are `<prefix>.<event type>`, e.g. `mentor-status.events.mentor.status.changed`',
  },
  natsDuplicateWindowSeconds: {
    env: 'NATS_DUPLICATE_WINDOW_SECONDS',
    parse: integer(60, 7 * 86_400),
    default: 7200,
    description: "the stream's duplicate window: an event published again within it (after a publisher restart) is dropped by its Nats-Msg-Id",
  },
  metricsPort: {
    env: 'METRICS_PORT',
    parse: integer(0, 65535),
    default: 9464,
    check: (value: number, values: { port?: number }) => {
      if (value > 0 && value === values.port) throw new Error('must differ from PORT: the metrics are never served on the API port');
    },
    description: 'port of the Prometheus metrics listener (`GET /metrics`), separate from the API; `0` turns it off',
  },
  metricsHost: {
    env: 'METRICS_HOST',
    parse: text,
    default: '127.0.0.1',
    description: 'interface of the metrics listener; loopback unless set (`0.0.0.0` for a scraper on another host or pod)',
  },
  otelExporterOtlpEndpoint: {
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    parse: matching(/^https?:\/\/\S+$/, 'an http:// or https:// URL'),
    default: undefined,
    description: 'OTLP/HTTP collector that traces are sent to (`/v1/traces` is appended); unset: no tracing, and no OpenTelemetry SDK is loaded',
  },
  otelServiceName: {
    env: 'OTEL_SERVICE_NAME',
    parse: text,
    default: SERVICE_NAME,
    description: '`service.name` of the traces',
  },
} satisfies { [Key in string]: Variable<unknown, never> };

type Variables = typeof variables;
type ValueOf<V> = V extends { parse: Parse<infer T> } ? T : never;
/** The typed settings, by property name. */
export type ConfigValues = { readonly [Key in keyof Variables]: ValueOf<Variables[Key]> };

/** Name, default and meaning of every variable, for documentation and the test that keeps the README true. */
export function describeVariables(): { env: string; description: string; defaultValue: unknown }[] {
  return Object.values(variables as Record<string, Variable<unknown, ConfigValues>>).map((variable) => ({
    env: variable.env,
    description: variable.description,
    defaultValue: variable.default,
  }));
}

// The class and the interface merge: AppConfig carries every setting as a typed, read-only property.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface AppConfig extends ConfigValues {}

/** Typed, validated, frozen settings. Built once at boot by {@link loadConfig}; injected by class. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class AppConfig {
  /** How DATABASE_POOLER came to be what it is, once `auto` has been resolved (for the start's log line). */
  readonly databasePoolerFoundBy: string | undefined;

  constructor(values: ConfigValues, databasePoolerFoundBy?: string) {
    Object.assign(this, values);
    this.databasePoolerFoundBy = databasePoolerFoundBy;
    Object.freeze(this);
  }

  /** The same settings pointed at another database (the embedded server once it runs), which is then reached directly too. */
  withDatabaseUrl(databaseUrl: string): AppConfig {
    return new AppConfig({ ...this, databaseUrl, databaseDirectUrl: databaseUrl, databasePooler: 'none' }, 'the embedded server');
  }

  /** The same settings with the pooler that detection found at DATABASE_URL, and what showed it. */
  withDatabasePooler(databasePooler: Exclude<DatabasePooler, 'auto'>, foundBy: string): AppConfig {
    return new AppConfig({ ...this, databasePooler }, foundBy);
  }
}

function isDerived<T, Values>(value: T | ((values: Partial<Values>) => T)): value is (values: Partial<Values>) => T {
  return typeof value === 'function';
}

/** Reads and validates every variable; all problems are reported together, each naming its variable. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(variables as Record<string, Variable<unknown, ConfigValues>>)) {
    const raw = env[variable.env];
    if (raw === undefined || raw === '') {
      values[key] = isDerived(variable.default) ? variable.default(values) : variable.default;
      continue;
    }
    try {
      values[key] = variable.parse(raw);
      variable.check?.(values[key], values);
    } catch (error) {
      problems.push(`${variable.env} ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  return new AppConfig(values as unknown as ConfigValues);
}
