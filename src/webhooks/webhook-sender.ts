import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { AppConfig } from '../common/config/app-config.js';
import { WebhookAddressPolicy } from './webhook-address-policy.js';
import { AttemptOutcome, outcomeOfStatus, retryAfterMs } from './webhook-retry-policy.js';

/** The most of a receiver's answer that is kept. */
export const RESPONSE_BODY_LIMIT = 1024;

export interface AttemptResult {
  outcome: AttemptOutcome;
  status: number | null;
  durationMs: number;
  error: string | null;
  body: string | null;
}

/** A message signed for one subscription, as Standard Webhooks has it. */
export interface SignedDelivery {
  url: string;
  /** The event id: the same for every attempt, so receivers can drop duplicates. */
  id: string;
  body: string;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
  return `${code ? `${code}: ` : ''}${error.message}`.slice(0, 500);
}

/**
 * Sends webhook deliveries: signed with the subscription's secret (webhook-id, webhook-timestamp,
 * webhook-signature), over keep-alive connections, with a connect and a total time limit, to
 * addresses the policy allows after DNS resolution. Secrets are never logged.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly agent: Agent;

  constructor(
    private readonly config: AppConfig,
    private readonly policy: WebhookAddressPolicy,
  ) {
    this.agent = new Agent({
      connect: { lookup: policy.lookup, timeout: config.webhookConnectTimeoutMs },
      keepAliveTimeout: 30_000,
      connections: 8,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }

  /** A signer for one subscription's secret: build once, sign many. */
  signer(secret: string): (delivery: { id: string; body: string }) => Record<string, string> {
    const webhook = new Webhook(secret);
    return ({ id, body }) => {
      const now = new Date();
      return {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': webhook.sign(id, now, body),
      };
    };
  }

  async send(delivery: SignedDelivery, headers: Record<string, string>, stop: AbortSignal): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const literal = this.policy.refusesLiteral(new URL(delivery.url));
    if (literal) return { outcome: { kind: 'retryable' }, status: null, durationMs: 0, error: `refused address ${literal}`, body: null };
    try {
      const response = await request(delivery.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/cloudevents+json; charset=utf-8', 'user-agent': 'mentor-status-service-webhooks/1', ...headers },
        body: delivery.body,
        signal: AbortSignal.any([AbortSignal.timeout(this.config.webhookTimeoutMs), stop]),
      });
      const body = await readCapped(response.body);
      const retryAfter = retryAfterMs(response.headers['retry-after'], new Date());
      const outcome = outcomeOfStatus(response.statusCode, retryAfter);
      return { outcome, status: response.statusCode, durationMs: elapsed(), error: outcome.kind === 'delivered' ? null : `HTTP ${response.statusCode}`, body };
    } catch (error) {
      if (stop.aborted) return { outcome: { kind: 'not-attempted' }, status: null, durationMs: elapsed(), error: null, body: null };
      return { outcome: { kind: 'retryable' }, status: null, durationMs: elapsed(), error: describe(error), body: null };
    }
  }
}

/** The answer's first kilobyte; a longer body is cut off there (its connection is then closed rather than reused). */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_BODY_LIMIT) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(parts).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8');
}
