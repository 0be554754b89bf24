import { Injectable, NotFoundException, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Clock } from '../common/clock/clock.js';
import { ValidationProblem } from '../common/errors/problem.exception.js';
import { assertIfMatch } from '../common/http/etag.js';
import { ListOrder, pageOf, pageRequest, patternKey, timestampKey } from '../common/pagination/page.js';
import { PageQueryDto } from '../common/pagination/pagination.dto.js';
import { Sql } from '../database/sql.js';
import { BEGINNING, type EventType } from '../events/event-types.js';
import { EventsService } from '../events/events.service.js';
import { WebhookDeliveryDto, WebhookDeliveryListDto } from './dto/webhook-delivery.dto.js';
import { UUID_PATTERN } from './dto/webhook-params.js';
import {
  CreatedWebhookSubscriptionDto,
  DeletedWebhookSubscriptionDto,
  WebhookSecretDto,
  WebhookSubscriptionDto,
  WebhookSubscriptionListDto,
} from './dto/webhook-subscription.dto.js';
import { CreateWebhookSubscriptionDto, UpdateWebhookSubscriptionDto } from './dto/write-webhook-subscription.dto.js';
import { WebhookAddressPolicy } from './webhook-address-policy.js';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import { DeliveryRow, SubscriptionRow, WebhooksRepository } from './webhooks.repository.js';

const SUBSCRIPTION_ORDER: ListOrder = { list: 'webhook-subscriptions', keys: [timestampKey('created_at'), patternKey('subscription_id', UUID_PATTERN)] };
const DECIMAL = /^\d{1,19}$/;
const PRUNE_BATCH = 1_000;
const DELIVERY_ORDER: ListOrder = { list: 'webhook-deliveries', keys: [patternKey('event_xid', DECIMAL), patternKey('event_seq', DECIMAL)] };

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

function toDto(row: SubscriptionRow): WebhookSubscriptionDto {
  return {
    subscription_id: row.id,
    url: row.url,
    event_types: row.event_types as EventType[] | null,
    description: row.description,
    enabled: row.enabled,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    failing_since: iso(row.failing_since),
    last_success_at: iso(row.last_success_at),
    disabled_at: iso(row.disabled_at),
  };
}

function toDeliveryDto(row: DeliveryRow): WebhookDeliveryDto {
  return {
    delivery_id: row.id,
    subscription_id: row.subscription_id,
    event_id: row.event_id,
    event_type: row.event_type as EventType,
    status: row.status,
    attempts: row.attempts,
    response_status: row.response_status,
    duration_ms: row.duration_ms,
    error: row.error,
    response_body: row.response_body,
    first_attempt_at: iso(row.first_attempt_at),
    last_attempt_at: iso(row.last_attempt_at),
    next_attempt_at: iso(row.next_attempt_at),
  };
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`No webhook subscription with id '${id}'.`);
}

/** The rules of webhook subscriptions: where they may point, their secrets, and what a retry of a delivery means. */
@Injectable()
export class WebhooksService implements OnModuleInit {
  constructor(
    private readonly sql: Sql,
    private readonly subscriptions: WebhooksRepository,
    private readonly policy: WebhookAddressPolicy,
    private readonly events: EventsService,
    private readonly worker: WebhookDeliveryWorker,
    private readonly clock: Clock,
  ) {}

  /** Delivery records go with the events they are about. */
  onModuleInit(): void {
    this.events.addRetentionTask(async (cutoff, signal) => {
      let total = 0;
      for (let deleted = PRUNE_BATCH; deleted === PRUNE_BATCH && !signal?.aborted; total += deleted) {
        deleted = await this.subscriptions.pruneDeliveries(cutoff, PRUNE_BATCH);
      }
      return total;
    });
  }

  /** A new subscription gets every event that commits from now on. Its secret is in this answer only (and in a rotation's). */
  async create(body: CreateWebhookSubscriptionDto): Promise<CreatedWebhookSubscriptionDto> {
    await this.assertAllowed(body.url);
    const { tail } = await this.events.tail();
    const secret = newSecret();
    return this.sql.tx(async (tx) => {
      const row = await this.subscriptions.insert(tx, {
        url: body.url,
        eventTypes: body.event_types ?? null,
        description: body.description ?? null,
        secret,
        position: tail ?? BEGINNING,
      });
      return { ...toDto(row), secret };
    });
  }

  async get(id: string): Promise<WebhookSubscriptionDto> {
    const row = await this.subscriptions.find(this.sql, id);
    if (!row) throw notFound(id);
    return toDto(row);
  }

  async list(query: PageQueryDto): Promise<WebhookSubscriptionListDto> {
    const request = pageRequest(query, SUBSCRIPTION_ORDER, {});
    const { rows, counted } = await this.subscriptions.list(request);
    const page = pageOf(request, rows, counted, (row) => [row.created_at.toISOString(), row.id]);
    return { data: page.rows.map(toDto), pagination: page.pagination };
  }

  /** Replaces url, event types, description and enabled; with If-Match, only the version the caller saw. */
  async update(id: string, body: UpdateWebhookSubscriptionDto, ifMatch?: string): Promise<WebhookSubscriptionDto> {
    await this.assertAllowed(body.url);
    const updated = await this.sql.tx(async (tx) => {
      const current = await this.subscriptions.find(tx, id, { lock: true });
      if (!current) throw notFound(id);
      assertIfMatch(ifMatch, toDto(current));
      return this.subscriptions.update(tx, id, {
        url: body.url,
        eventTypes: body.event_types ?? null,
        description: body.description ?? null,
        enabled: body.enabled ?? true,
      });
    });
    this.worker.wake();
    return toDto(updated);
  }

  async remove(id: string): Promise<DeletedWebhookSubscriptionDto> {
    if (!(await this.subscriptions.delete(this.sql, id))) throw notFound(id);
    return { subscription_id: id, deleted: true };
  }

  /** A new secret signs every delivery from now on; the old one stops at once. */
  async rotateSecret(id: string): Promise<WebhookSecretDto> {
    const secret = newSecret();
    return this.sql.tx(async (tx) => {
      if (!(await this.subscriptions.setSecret(tx, id, secret))) throw notFound(id);
      return { subscription_id: id, secret };
    });
  }

  async deliveries(id: string, query: PageQueryDto): Promise<WebhookDeliveryListDto> {
    await this.get(id);
    const request = pageRequest(query, DELIVERY_ORDER, { subscription_id: id });
    const { rows, counted } = await this.subscriptions.listDeliveries(id, request);
    const page = pageOf(request, rows, counted, (row) => [row.event_xid, row.event_seq]);
    return { data: page.rows.map(toDeliveryDto), pagination: page.pagination };
  }

  /** Another attempt now, with a fresh retry window: of a failed delivery, a pending one (sooner than its backoff), or a succeeded one (to send it again). */
  async retry(id: string, deliveryId: string): Promise<WebhookDeliveryDto> {
    const delivery = await this.sql.tx(async (tx) => {
      const row = await this.subscriptions.retryDelivery(tx, id, deliveryId, this.clock.now());
      if (!row) throw new NotFoundException(`Webhook subscription '${id}' has no delivery '${deliveryId}'.`);
      return toDeliveryDto(row);
    });
    this.worker.wake();
    return delivery;
  }

  private async assertAllowed(url: string): Promise<void> {
    const refusal = await this.policy.refusal(url);
    if (refusal) throw new ValidationProblem([{ field: 'url', message: refusal }]);
  }
}
