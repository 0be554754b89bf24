import { createMentorStatusClient, type MentorStatusClient } from '@mentor-status/client';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../../tools/free-port.js';
import { PatroniCluster } from '../../tools/patroni.js';
import { waitUntil } from './poll.js';
import { ServiceProcess, startService } from './service-process.js';
import { WebhookReceiver } from './webhook-receiver.js';

/**
 * The failover scenario on a real Patroni cluster (tools/patroni.ts), shared by the failover suite
 * and `npm run bench -- --failover`: two app instances behind PgBouncer, a storm of idempotent POSTs
 * made with the client package and a reader loop, with every attempt on the wire recorded, and the
 * checks of what the database holds afterwards.
 */

export const FAILOVER_API_KEY = 'failover-key-6d1f0b94c2ae57e3';
const DATABASE = 'app';
/** The app's default statement timeout, which behind PgBouncer the database gives (the app cannot set it per session). */
const STATEMENT_TIMEOUT_MS = 10_000;
export const WRITERS = 16;
const READERS = 2;
const HEALTH_EVERY_MS = 250;
const CHANGED_BY = 'user_failover';

export interface AppInstance {
  name: string;
  base: string;
  service: ServiceProcess;
}

export interface FailoverTopology {
  cluster: PatroniCluster;
  instances: AppInstance[];
  /** The app's database on whichever node is the primary now (HAProxy's write port). */
  primaryUrl: string;
  /** Subscribed to every event (at WEBHOOK_PATH) before any load. */
  receiver: WebhookReceiver;
  /** The JetStream stream the instances publish every event to. */
  natsStream: string;
  stop(): Promise<void>;
}

export const WEBHOOK_PATH = '/failover-events';
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** One request on the wire, as the client package's transport saw it: every retry is an attempt of its own. */
export interface Attempt {
  instance: string;
  method: string;
  startedAt: number;
  endedAt: number;
  /** The status, or 0 when no answer came (a network error). */
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  /** The body of a 5xx, to say what it was. */
  body?: string;
}

/** One call of the client package: its key, its reason text (unique, so that its records can be counted) and how it ended for the caller. */
export interface WriteCall {
  instance: string;
  /** A probe's call: one attempt, no retries. */
  probe: boolean;
  key: string;
  tag: string;
  mentorId: string;
  status: 'active' | 'paused';
  startedAt: number;
  endedAt?: number;
  /** The final status the caller got, 0 when the call threw (network error after its last attempt). */
  outcome?: number;
  /** The problem type of a final answer that is not 201. */
  problemType?: string;
  /** The record's id, from a 201. */
  recordId?: string;
}

export interface HealthSample {
  instance: string;
  path: '/health/live' | '/health/ready';
  at: number;
  /** 0: no answer within 5 s. */
  status: number;
}

async function queryPrimary<Row>(url: string, sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Row[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

function instanceEnv(cluster: PatroniCluster, port: number, natsStream: string): Record<string, string> {
  return {
    NATS_URL,
    NATS_STREAM: natsStream,
    NATS_SUBJECT_PREFIX: natsStream.toLowerCase(),
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    // Deliveries that failed during the outage are tried again soon after it, not minutes later.
    WEBHOOK_RETRY_BASE_MS: '200',
    WEBHOOK_RETRY_MAX_MS: '2000',
    DATABASE_URL: cluster.pgbouncerUrl(DATABASE),
    DATABASE_DIRECT_URL: cluster.writeUrl(DATABASE),
    DATABASE_POOLER: 'pgbouncer',
    DATABASE_REPLICA_URLS: cluster.readUrl(DATABASE),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    API_KEYS: `failover:${FAILOVER_API_KEY}`,
    DEMO_DATA: 'false',
    CERT_SWEEP_INTERVAL_SECONDS: '0',
    RESUME_SWEEP_INTERVAL_SECONDS: '0',
    RATE_LIMIT_PER_MINUTE: '0',
    CLIENT_CONCURRENCY: '0',
  };
}

async function waitReady(instance: AppInstance, timeoutMs: number): Promise<void> {
  await waitUntil(
    async () => {
      if (instance.service.process.exitCode !== null) throw new Error(`${instance.name} exited: ${instance.service.output()}`);
      return fetch(`${instance.base}/health/ready`).then(
        (response) => response.ok,
        () => false,
      );
    },
    `${instance.name} is ready`,
    timeoutMs,
  );
}

/**
 * The Patroni cluster, its database `app` (created on the primary, with the statement timeout the
 * app needs behind PgBouncer), and two app instances: the first start applies the real migrations,
 * the second starts once they are in.
 */
export async function startFailoverTopology(): Promise<FailoverTopology> {
  const cluster = await PatroniCluster.start();
  const instances: AppInstance[] = [];
  const receiver = new WebhookReceiver();
  const receiverUrl = await receiver.start();
  const natsStream = `MENTOR_EVENTS_FAILOVER_${process.pid}_${Date.now()}`;
  const stop = async () => {
    for (const instance of instances) {
      instance.service.process.kill('SIGKILL');
      await instance.service.exited;
    }
    await cluster.stop();
    await receiver.stop();
    await deleteStream(natsStream);
  };
  try {
    await queryPrimary(cluster.writeUrl('postgres'), `CREATE DATABASE ${DATABASE}`);
    await queryPrimary(cluster.writeUrl('postgres'), `ALTER DATABASE ${DATABASE} SET statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
    for (const name of ['app1', 'app2']) {
      const port = await freePort();
      const instance = { name, base: `http://127.0.0.1:${port}`, service: startService(instanceEnv(cluster, port, natsStream)) };
      instances.push(instance);
      await waitReady(instance, 120_000);
    }
    const client = createMentorStatusClient(instances[0].base, { apiKey: FAILOVER_API_KEY });
    const { response } = await client.POST('/api/v1/webhook-subscriptions', { body: { url: `${receiverUrl}${WEBHOOK_PATH}` } });
    if (response.status !== 201) throw new Error(`subscribing the webhook receiver: ${response.status}`);
  } catch (error) {
    const outputs = instances.map((instance) => `--- ${instance.name}\n${instance.service.output().slice(-3000)}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${outputs}\n${cluster.logs()}`, { cause: error });
  }
  return { cluster, instances, primaryUrl: cluster.writeUrl(DATABASE), receiver, natsStream, stop };
}

async function deleteStream(stream: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL, maxReconnectAttempts: 0 }).catch(() => undefined);
  if (!nc) return;
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/**
 * The outbox's events (on the primary now) that a consumer has not seen: the webhook receiver (by
 * event id, once accepted) and the JetStream stream (by message id, which the publisher sets to the
 * event id).
 */
export async function eventsNotDelivered(topology: FailoverTopology): Promise<{ outbox: number; webhook: string[]; jetstream: string[] }> {
  const outbox = (await queryPrimary<{ id: string }>(topology.primaryUrl, 'SELECT id::text AS id FROM event_outbox')).map((row) => row.id);
  const delivered = new Set(topology.receiver.accepted(WEBHOOK_PATH).map((delivery) => String((JSON.parse(delivery.body) as { id: unknown }).id)));
  const published = new Set<string>();
  const nc = await connect({ servers: NATS_URL, maxReconnectAttempts: 0 });
  try {
    const consumer = await jetstream(nc).consumers.get(topology.natsStream, { deliver_policy: DeliverPolicy.All });
    for (;;) {
      const message = await consumer.next({ expires: 1_000 });
      if (!message) break;
      const id = message.headers?.get('Nats-Msg-Id');
      if (id) published.add(id);
      if (published.size >= outbox.length && (message.info.pending ?? 0) === 0) break;
    }
  } finally {
    await nc.close();
  }
  return { outbox: outbox.length, webhook: outbox.filter((id) => !delivered.has(id)), jetstream: outbox.filter((id) => !published.has(id)) };
}

/** How hard the storm's callers try: long enough to outlast a failover, as a caller who configures the client for one would. */
const CALLER_RETRY = { maxAttempts: 60, maxElapsedMs: 60_000, baseDelayMs: 100, maxDelayMs: 1_000 };

/**
 * 16 writers, each changing a mentor of its own back and forth with the client package (an
 * `Idempotency-Key` per call, kept across its retries), alternately on the two instances; per
 * instance a probe that writes the same way with no retries (so that when writes work again shows
 * whatever the callers' keys are doing), and a reader listing records; and a health monitor asking
 * each instance's liveness and readiness. Until stop().
 */
export class Storm {
  readonly attempts: Attempt[] = [];
  readonly writes: WriteCall[] = [];
  readonly readFailures: { instance: string; status: number }[] = [];
  reads = 0;
  readonly health: HealthSample[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  private constructor() {}

  /** Creates the storm's mentors (named after `name`, so that each storm starts from mentors with no status) and starts its loops. */
  static async start(name: string, instances: AppInstance[]): Promise<Storm> {
    const storm = new Storm();
    const mentors = Array.from({ length: WRITERS + instances.length }, (_, index) => `mntr_${name}_${index}`);
    const client = createMentorStatusClient(instances[0].base, { apiKey: FAILOVER_API_KEY });
    for (const mentorId of mentors) {
      const { response } = await client.PUT('/api/v1/mentors/{mentor_id}', {
        params: { path: { mentor_id: mentorId } },
        body: { full_name: `Failover ${mentorId}`, chapter_id: 'chpt_failover' },
      });
      if (response.status !== 201) throw new Error(`creating mentor ${mentorId}: ${response.status}`);
    }
    mentors.forEach((mentorId, index) => {
      const instance = instances[index % instances.length];
      storm.loops.push(storm.writer(instance, mentorId, index >= WRITERS));
    });
    for (let reader = 0; reader < READERS; reader++) storm.loops.push(storm.reader(instances[reader % instances.length]));
    for (const instance of instances) storm.loops.push(storm.monitor(instance));
    return storm;
  }

  /** A client of the package on `instance` whose transport records every attempt. */
  private client(instance: AppInstance, retry: typeof CALLER_RETRY | false = CALLER_RETRY): MentorStatusClient {
    const recordingFetch = async (input: Request, init?: RequestInit): Promise<Response> => {
      const startedAt = Date.now();
      const base = { instance: instance.name, method: input.method, startedAt };
      try {
        const response = await fetch(input, init);
        const attempt: Attempt = {
          ...base,
          endedAt: Date.now(),
          status: response.status,
          contentType: response.headers.get('content-type'),
          retryAfter: response.headers.get('retry-after'),
        };
        if (response.status >= 500) attempt.body = await response.clone().text();
        this.attempts.push(attempt);
        return response;
      } catch (error) {
        this.attempts.push({ ...base, endedAt: Date.now(), status: 0, contentType: null, retryAfter: null, body: String(error) });
        throw error;
      }
    };
    return createMentorStatusClient(instance.base, { apiKey: FAILOVER_API_KEY, fetch: recordingFetch, retry });
  }

  private async writer(instance: AppInstance, mentorId: string, probe: boolean): Promise<void> {
    const client = this.client(instance, probe ? false : CALLER_RETRY);
    let next: 'active' | 'paused' = 'paused';
    for (let sequence = 0; this.running; sequence++) {
      const call: WriteCall = {
        instance: instance.name,
        probe,
        key: randomUUID(),
        tag: `${mentorId} #${sequence}`,
        mentorId,
        status: next,
        startedAt: Date.now(),
      };
      this.writes.push(call);
      try {
        const { data, error, response } = await client.POST('/api/v1/mentor-statuses', {
          headers: { 'Idempotency-Key': call.key },
          body: { mentor_id: call.mentorId, status: call.status, reason: call.tag, changed_by: CHANGED_BY },
        });
        call.outcome = response.status;
        if (data) call.recordId = data.mentor_status_id;
        if (error) call.problemType = error.type;
      } catch {
        call.outcome = 0;
      }
      call.endedAt = Date.now();
      // The mentor has the other status now: after a 201, and after a no-op answer (an earlier call of unknown outcome had written it).
      if (call.outcome === 201 || call.problemType === '/problems/no-op-transition') next = next === 'active' ? 'paused' : 'active';
      else await sleep(100);
    }
  }

  private async reader(instance: AppInstance): Promise<void> {
    const client = this.client(instance);
    while (this.running) {
      const { response } = await client.GET('/api/v1/mentor-statuses', { params: { query: { limit: 5 } } }).catch(() => ({ response: undefined }));
      if (response?.ok) this.reads++;
      else {
        this.readFailures.push({ instance: instance.name, status: response?.status ?? 0 });
        await sleep(100);
      }
    }
  }

  private async monitor(instance: AppInstance): Promise<void> {
    while (this.running) {
      await Promise.all(
        (['/health/live', '/health/ready'] as const).map(async (path) => {
          const at = Date.now();
          const status = await fetch(`${instance.base}${path}`, { signal: AbortSignal.timeout(5_000) }).then(
            async (response) => {
              await response.arrayBuffer();
              return response.status;
            },
            () => 0,
          );
          this.health.push({ instance: instance.name, path, at, status });
        }),
      );
      await sleep(HEALTH_EVERY_MS);
    }
  }

  /** Writes acknowledged so far (a 201 reached the caller). */
  acked(): WriteCall[] {
    return this.writes.filter((call) => call.outcome === 201);
  }

  /** Ends every loop once its call in flight has ended. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** The acknowledged writes whose records the database does not hold (deleted or not, a record counts as there). */
export async function missingAcknowledged(primaryUrl: string, acked: readonly WriteCall[]): Promise<WriteCall[]> {
  const rows = await queryPrimary<{ id: string }>(primaryUrl, 'SELECT id FROM mentor_status_records WHERE id = ANY($1)', [acked.map((call) => call.recordId)]);
  const present = new Set(rows.map((row) => row.id));
  return acked.filter((call) => !present.has(call.recordId!));
}

/** The calls (one Idempotency-Key each) of which the database holds more than one record. */
export async function duplicatedCalls(primaryUrl: string, calls: readonly WriteCall[]): Promise<{ tag: string; records: number }[]> {
  const rows = await queryPrimary<{ reason: string; records: number }>(
    primaryUrl,
    'SELECT reason, count(*)::int AS records FROM mentor_status_records WHERE reason = ANY($1) GROUP BY reason HAVING count(*) > 1',
    [calls.map((call) => call.tag)],
  );
  return rows.map((row) => ({ tag: row.reason, records: row.records }));
}

/** The record each call's tag has in the database now (at most one unless duplicated). */
export async function recordsOf(primaryUrl: string, calls: readonly WriteCall[]): Promise<Map<string, string>> {
  const rows = await queryPrimary<{ reason: string; id: string }>(primaryUrl, 'SELECT reason, id FROM mentor_status_records WHERE reason = ANY($1)', [
    calls.map((call) => call.tag),
  ]);
  return new Map(rows.map((row) => [row.reason, row.id]));
}

/** Idempotency keys still reserved by a request ("in progress"). */
export async function keysInProgress(primaryUrl: string): Promise<string[]> {
  const rows = await queryPrimary<{ key: string }>(primaryUrl, `SELECT key FROM idempotency_keys WHERE state = 'in_progress'`);
  return rows.map((row) => row.key);
}

/**
 * Asks again, with the client package, for every call that ended for its caller without a 201 or a
 * no-op answer (its outcome unknown to the caller), with its own `Idempotency-Key` and body: the
 * service must answer the original 201 when the write had committed, or perform it now, once.
 */
export async function retryUnknown(
  base: string,
  calls: readonly WriteCall[],
): Promise<{ call: WriteCall; status: number; recordId?: string; problemType?: string }[]> {
  const client = createMentorStatusClient(base, { apiKey: FAILOVER_API_KEY, retry: CALLER_RETRY });
  const answers = [];
  for (const call of calls) {
    const { data, error, response } = await client.POST('/api/v1/mentor-statuses', {
      headers: { 'Idempotency-Key': call.key },
      body: { mentor_id: call.mentorId, status: call.status, reason: call.tag, changed_by: CHANGED_BY },
    });
    answers.push({ call, status: response.status, recordId: data?.mentor_status_id, problemType: error?.type });
  }
  return answers;
}

/** Counts by a label, for messages and figures. */
export function tally<T>(items: readonly T[], label: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[label(item)] = (counts[label(item)] ?? 0) + 1;
  return counts;
}

/** The log lines of an instance at level error or above (pino's numbers: 50 error, 60 fatal). */
export function errorLines(instance: AppInstance): string[] {
  return instance.service
    .output()
    .split('\n')
    .filter((line) => {
      try {
        return (JSON.parse(line) as { level?: number }).level! >= 50;
      } catch {
        return false;
      }
    });
}

/** A call that ended for its caller without an answer that says what happened (a 201, or a no-op for a status already written). */
export const unknownToCaller = (call: WriteCall) => call.outcome !== 201 && call.problemType !== '/problems/no-op-transition';

/** What one SIGKILL of the primary under the storm gave. */
export interface KillRun {
  storm: Storm;
  killed: string;
  /** When the signals went out (epoch ms). */
  killedAt: number;
  newPrimary: string;
  /** Per instance, from the kill to the first acknowledged write sent after it. */
  firstWriteMs: Record<string, number>;
}

/** The first acknowledged write through `instance` that was sent after `since`, in ms after it. */
function firstWriteAfter(storm: Storm, instance: string, since: number): number | undefined {
  const written = storm.attempts.filter(
    (attempt) => attempt.instance === instance && attempt.method === 'POST' && attempt.status === 201 && attempt.startedAt >= since,
  );
  return written.length ? Math.min(...written.map((attempt) => attempt.endedAt)) - since : undefined;
}

/**
 * Starts a storm, and once `writesAround` writes are acknowledged SIGKILLs the primary's Patroni
 * and PostgreSQL; waits until writes succeed again through every instance, then for `writesAround`
 * more, and stops the storm (every call ended).
 */
export async function killPrimaryUnderLoad(topology: FailoverTopology, name: string, writesAround: number, recoveryBoundMs: number): Promise<KillRun> {
  const { cluster, instances } = topology;
  const storm = await Storm.start(name, instances);
  try {
    await waitUntil(() => storm.acked().length >= writesAround, `${writesAround} writes are acknowledged`, 60_000);
    const { name: killed, killedAt } = await cluster.killPrimary();
    const newPrimary = await cluster.waitForNewPrimary(killed, recoveryBoundMs);
    await waitUntil(
      () => instances.every((instance) => firstWriteAfter(storm, instance.name, killedAt) !== undefined),
      'writes succeed again through every instance',
      recoveryBoundMs,
    );
    const firstWriteMs = Object.fromEntries(instances.map((instance) => [instance.name, firstWriteAfter(storm, instance.name, killedAt)!]));
    const recovered = storm.acked().length;
    await waitUntil(() => storm.acked().length >= recovered + writesAround, `${writesAround} more writes after the recovery`, 60_000);
    await storm.stop();
    return { storm, killed, killedAt, newPrimary, firstWriteMs };
  } catch (error) {
    await storm.stop();
    throw new Error(`${(error as Error).message}\n${cluster.logs()}`, { cause: error });
  }
}

/** The figures of a kill, for the test's output and the bench's results. */
export async function killFigures(topology: FailoverTopology, { storm, killed, killedAt, newPrimary, firstWriteMs }: KillRun) {
  const acked = storm.acked();
  const inFlight = storm.attempts.filter((attempt) => attempt.startedAt < killedAt && attempt.endedAt > killedAt);
  return {
    killed,
    newPrimary,
    firstWriteAfterKillMs: firstWriteMs,
    acknowledgedWrites: acked.length,
    lost: (await missingAcknowledged(topology.primaryUrl, acked)).length,
    calls: storm.writes.length,
    callsFailedForTheCaller: storm.writes.filter((call) => !call.probe && unknownToCaller(call)).length,
    keysInProgress: (await keysInProgress(topology.primaryUrl)).length,
    attemptsByStatus: tally(storm.attempts, (attempt) => String(attempt.status)),
    inFlightAtKill: inFlight.length,
    slowestInFlightAnsweredMs: inFlight.length ? Math.max(...inFlight.map((attempt) => attempt.endedAt - killedAt)) : 0,
    reads: storm.reads,
    readFailures: storm.readFailures.length,
    errorLogLines: topology.instances.reduce((lines, instance) => lines + errorLines(instance).length, 0),
  };
}

/**
 * Retries every call of unknown outcome with its key (retryUnknown) and says how each resolved:
 * `wrong` lists those whose answer was not the original 201 of a committed write, or a single
 * performance of one that had not committed.
 */
export async function resolveUnknown(topology: FailoverTopology, storm: Storm) {
  const unknown = storm.writes.filter(unknownToCaller);
  const committed = await recordsOf(topology.primaryUrl, unknown);
  const answers = await retryUnknown(topology.instances[0].base, unknown);
  const wrong = answers.filter(({ call, status, recordId, problemType }) => {
    const record = committed.get(call.tag);
    if (record) return status !== 201 || recordId !== record;
    return !(status === 201 || problemType === '/problems/no-op-transition');
  });
  return {
    unknown: unknown.length,
    endedAs: tally(unknown, (call) => `${call.outcome} ${call.problemType ?? ''}`.trim()),
    hadCommitted: committed.size,
    retriedAnswers: tally(answers, (answer) => `${answer.status} ${answer.problemType ?? ''}`.trim()),
    wrong: wrong.map(({ call, status, problemType }) => `${call.key}: committed ${committed.get(call.tag) ?? 'no'}, retry ${status} ${problemType ?? ''}`),
  };
}
