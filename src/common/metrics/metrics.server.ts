import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from './metrics.service.js';

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics` on a listener of its own (METRICS_HOST:METRICS_PORT), never on the API's port:
 * the metrics say much about the service and nothing a client needs, so only what can reach this
 * port (loopback unless configured) can read them. A plain node:http server keeps scrapes out of
 * the API's hooks, limits and logs. It starts with the app, so a port already taken stops the start,
 * and closes after the API's server, so the last requests can still be scraped.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: Server | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.metricsPort === 0) return;
    const server = createServer((request, response) => void this.answer(request, response));
    server.listen(this.config.metricsPort, this.config.metricsHost);
    await once(server, 'listening');
    this.server = server;
    this.logger.log(`metrics at http://${this.config.metricsHost}:${this.config.metricsPort}${METRICS_PATH}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = once(server, 'close');
    server.close();
    // A scraper keeps its connection alive between scrapes; nothing is lost by cutting it.
    server.closeAllConnections();
    await closed;
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_PATH) return void response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the metrics are at /metrics\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    try {
      const text = await this.metrics.scrape();
      response.writeHead(200, { 'content-type': this.metrics.contentType }).end(request.method === 'HEAD' ? undefined : text);
    } catch (error) {
      this.logger.error(`could not collect the metrics: ${String(error)}`);
      response.writeHead(500, { 'content-type': 'text/plain' }).end('could not collect the metrics\n');
    }
  }
}
