import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  /** The status this receiver answered. */
  answered: number;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Holds the answer back this long (a slow receiver). */
  delayMs?: number;
}

/** Decides the answer to each request: by path, and by how many that path has had before. */
export type ReceiverBehaviour = (path: string, count: number) => ReceiverAnswer;

/**
 * A webhook receiver on loopback that records every request, answers as told, and counts how many
 * requests each path has in flight at once (the most it ever saw is `maxInFlight`).
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  readonly maxInFlight = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private server: Server | undefined;
  behaviour: ReceiverBehaviour = () => ({ status: 204 });

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const count = this.counts.get(path) ?? 0;
        this.counts.set(path, count + 1);
        const now = (this.inFlight.get(path) ?? 0) + 1;
        this.inFlight.set(path, now);
        this.maxInFlight.set(path, Math.max(now, this.maxInFlight.get(path) ?? 0));
        const answer = this.behaviour(path, count);
        const finish = () => {
          this.inFlight.set(path, (this.inFlight.get(path) ?? 1) - 1);
          this.received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered: answer.status });
          response.writeHead(answer.status, answer.headers).end(answer.body);
        };
        if (answer.delayMs) setTimeout(finish, answer.delayMs);
        else finish();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The deliveries to `path` that this receiver accepted (2xx), in the order it got them. */
  accepted(path: string): ReceivedDelivery[] {
    return this.received.filter((delivery) => delivery.path === path && delivery.answered >= 200 && delivery.answered < 300);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Checks a delivery as a receiver must: the signature over the raw body, with the subscription's secret; returns the parsed event. */
export function verifyDelivery(delivery: ReceivedDelivery, secret: string): Record<string, unknown> {
  return new Webhook(secret).verify(delivery.body, {
    'webhook-id': String(delivery.headers['webhook-id']),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
    'webhook-signature': String(delivery.headers['webhook-signature']),
  }) as Record<string, unknown>;
}
