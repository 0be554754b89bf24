import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { ApiKey, parseApiKeys } from '../auth/api-keys.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `https://app.example.org,http://localhost:5173`: scheme, host and optional port, no path. */
const CORS_ORIGIN_LIST = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\s*,\s*https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)*$/;

const toBoolean = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
};

/** The environment as the service accepts it: every variable it reads, with its rules. */
class EnvironmentVariables {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  HOST?: string;

  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  DATA_DIR?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT?: number;

  @IsOptional()
  @IsIn(LOG_LEVELS)
  LOG_LEVEL?: LogLevel;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'DEMO_DATA must be true or false' })
  DEMO_DATA?: boolean;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(86_400)
  CERT_SWEEP_INTERVAL_SECONDS?: number;

  /** Parsed in {@link loadConfig}, whose messages never repeat a key. */
  @IsOptional()
  @IsString()
  API_KEYS?: string;

  @IsOptional()
  @IsString()
  @Matches(CORS_ORIGIN_LIST, { message: 'CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.org' })
  CORS_ORIGINS?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  DB_STATEMENT_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_CONNECT_TIMEOUT_MS?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Typed, validated settings. Built once at boot by {@link loadConfig}; injected by class. */
export class AppConfig {
  readonly port: number;
  readonly host: string;
  /** Absent means: start the embedded PostgreSQL and use that. */
  readonly databaseUrl: string | undefined;
  readonly dbPoolSize: number;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  readonly logLevel: LogLevel;
  readonly demoData: boolean;
  readonly bodyLimitBytes: number;
  /** Seconds between scheduled certification sweeps; 0 turns the schedule off. */
  readonly certSweepIntervalSeconds: number;
  /** Named keys for writes; empty means writes are open (and start-up warns). */
  readonly apiKeys: readonly ApiKey[];
  /** Origins that browsers may call from; empty means no cross-origin access. */
  readonly corsOrigins: readonly string[];
  /** Requests per client address per minute on each instance; 0 turns rate limiting off. */
  readonly rateLimitPerMinute: number;
  /** PostgreSQL's statement_timeout for the app's connections; 0 means none. */
  readonly dbStatementTimeoutMs: number;
  /** Longest wait for a pool connection (a free one or a new one) before the request fails with 503. */
  readonly dbConnectTimeoutMs: number;

  constructor(values: AppConfigValues) {
    Object.assign(this, values);
    Object.freeze(this);
  }

  /** The same settings pointed at another database (the embedded server once it runs). */
  withDatabaseUrl(databaseUrl: string): AppConfig {
    return new AppConfig({ ...this, databaseUrl });
  }
}

type AppConfigValues = { [K in keyof AppConfig as AppConfig[K] extends Function ? never : K]: AppConfig[K] };

export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = plainToInstance(EnvironmentVariables, present);
  const errors = validateSync(parsed, { whitelist: true });
  if (errors.length > 0) {
    const messages = errors.flatMap((error) => Object.values(error.constraints ?? {}));
    throw new ConfigError(`Invalid configuration: ${messages.join('; ')}`);
  }
  const databaseUrl = parsed.DATABASE_URL;
  let apiKeys: ApiKey[] = [];
  try {
    if (parsed.API_KEYS !== undefined) apiKeys = parseApiKeys(parsed.API_KEYS);
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${(error as Error).message}`);
  }
  return new AppConfig({
    port: parsed.PORT ?? 3000,
    host: parsed.HOST ?? '0.0.0.0',
    databaseUrl,
    dbPoolSize: parsed.DB_POOL_SIZE ?? 10,
    dataDir: parsed.DATA_DIR ?? '.data',
    embeddedPgPort: parsed.EMBEDDED_PG_PORT ?? 54329,
    logLevel: parsed.LOG_LEVEL ?? 'info',
    demoData: parsed.DEMO_DATA ?? databaseUrl === undefined,
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES ?? 100 * 1024,
    certSweepIntervalSeconds: parsed.CERT_SWEEP_INTERVAL_SECONDS ?? 300,
    apiKeys,
    corsOrigins: parsed.CORS_ORIGINS?.split(',').map((origin) => origin.trim()) ?? [],
    rateLimitPerMinute: parsed.RATE_LIMIT_PER_MINUTE ?? 1000,
    dbStatementTimeoutMs: parsed.DB_STATEMENT_TIMEOUT_MS ?? 10_000,
    dbConnectTimeoutMs: parsed.DB_CONNECT_TIMEOUT_MS ?? 3_000,
  });
}
