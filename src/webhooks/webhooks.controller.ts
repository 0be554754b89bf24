import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AlwaysNeedsApiKey, RequiresScope } from '../common/auth/requires-scope.decorator.js';
import { IfMatch } from '../common/http/etag.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { BEARER_SCHEME, TOKEN_SCHEME } from '../common/openapi/write-safety.openapi.js';
import { PageQueryDto } from '../common/pagination/pagination.dto.js';
import { WebhookDeliveryDto, WebhookDeliveryListDto } from './dto/webhook-delivery.dto.js';
import { WebhookDeliveryParams, WebhookSubscriptionIdParams } from './dto/webhook-params.js';
import {
  CreatedWebhookSubscriptionDto,
  DeletedWebhookSubscriptionDto,
  WebhookSecretDto,
  WebhookSubscriptionDto,
  WebhookSubscriptionListDto,
} from './dto/webhook-subscription.dto.js';
import { CreateWebhookSubscriptionDto, UpdateWebhookSubscriptionDto } from './dto/write-webhook-subscription.dto.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('webhooks')
@ApiSecurity(TOKEN_SCHEME, ['admin'])
@ApiBearerAuth(BEARER_SCHEME)
@AlwaysNeedsApiKey()
@RequiresScope('admin')
@Controller('webhook-subscriptions')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Idempotent()
  @ApiOperation({
    operationId: 'createWebhookSubscription',
    summary: 'Subscribe a URL to change events',
    description: [
      'Every event that commits from now on (of `event_types`, or all) is POSTed to `url` as a CloudEvents 1.0 structured JSON body,',
      'signed as Standard Webhooks has it (`webhook-id` = event id, `webhook-timestamp`, `webhook-signature: v1,<HMAC-SHA256>`), at least once and in event order.',
      "While the service traces, `traceparent` carries the W3C trace context of the request that wrote the event, to continue the writer's trace.",
      'Failed deliveries (connection errors, timeouts, 5xx, 408, 429 after `Retry-After`) are retried with exponential backoff and jitter for about a day;',
      'a subscription with no success for 3 days is disabled (event `webhook.subscription.disabled`).',
      'The answer carries the signing `secret`, which is never shown again (rotate it to get a new one).',
      'Loopback, private, link-local and metadata addresses are refused (400 naming `url`), here and again after DNS resolution at delivery. Needs an API key, always.',
    ].join(' '),
  })
  @ApiCreatedResponse({ type: CreatedWebhookSubscriptionDto })
  @ApiProblemResponses(400, 401, 403, 413, 415)
  createWebhookSubscription(@Body() body: CreateWebhookSubscriptionDto): Promise<CreatedWebhookSubscriptionDto> {
    return this.webhooks.create(body);
  }

  @Get()
  @ApiOperation({ operationId: 'listWebhookSubscriptions', summary: 'List webhook subscriptions', description: 'Newest first. Secrets are not shown.' })
  @ApiOkResponse({ type: WebhookSubscriptionListDto })
  @ApiProblemResponses(400, 401, 403)
  listWebhookSubscriptions(@Query() query: PageQueryDto): Promise<WebhookSubscriptionListDto> {
    return this.webhooks.list(query);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getWebhookSubscription', summary: 'Get a webhook subscription', description: 'Its secret is not shown.' })
  @ApiOkResponse({ type: WebhookSubscriptionDto })
  @ApiProblemResponses(400, 401, 403, 404)
  getWebhookSubscription(@Param() params: WebhookSubscriptionIdParams): Promise<WebhookSubscriptionDto> {
    return this.webhooks.get(params.id);
  }

  @Put(':id')
  @ApiOperation({
    operationId: 'updateWebhookSubscription',
    summary: 'Replace a webhook subscription',
    description:
      'Sets `url`, `event_types` (omitted: all), `description` and `enabled` (omitted: true). Enabling a disabled subscription resumes delivery where it stopped. The secret stays.',
  })
  @ApiOkResponse({ type: WebhookSubscriptionDto })
  @ApiProblemResponses(400, 401, 403, 404, 413, 415)
  updateWebhookSubscription(
    @Param() params: WebhookSubscriptionIdParams,
    @Body() body: UpdateWebhookSubscriptionDto,
    @IfMatch() ifMatch: string | undefined,
  ): Promise<WebhookSubscriptionDto> {
    return this.webhooks.update(params.id, body, ifMatch);
  }

  @Delete(':id')
  @ApiOperation({
    operationId: 'deleteWebhookSubscription',
    summary: 'Delete a webhook subscription',
    description: 'Deliveries stop; its delivery records go too.',
  })
  @ApiOkResponse({ type: DeletedWebhookSubscriptionDto })
  @ApiProblemResponses(400, 401, 403, 404)
  deleteWebhookSubscription(@Param() params: WebhookSubscriptionIdParams): Promise<DeletedWebhookSubscriptionDto> {
    return this.webhooks.remove(params.id);
  }

  @Post(':id/secret')
  @Idempotent()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the signing secret',
    description: 'A new secret signs every delivery from now on; the answer is the only place it is shown.',
  })
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiProblemResponses(400, 401, 403, 404)
  rotateWebhookSecret(@Param() params: WebhookSubscriptionIdParams): Promise<WebhookSecretDto> {
    return this.webhooks.rotateSecret(params.id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: "List a subscription's deliveries",
    description:
      "Newest event first: each event's delivery with its status, number of attempts, and the last attempt's answer, duration, error and next retry.",
  })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiProblemResponses(400, 401, 403, 404)
  listWebhookDeliveries(@Param() params: WebhookSubscriptionIdParams, @Query() query: PageQueryDto): Promise<WebhookDeliveryListDto> {
    return this.webhooks.deliveries(params.id, query);
  }

  @Post(':id/deliveries/:delivery_id/retry')
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({
    operationId: 'retryWebhookDelivery',
    summary: 'Deliver an event again',
    description:
      'Queues another attempt now, with a fresh retry window: of a failed delivery, of a pending one (sooner than its backoff), or of a succeeded one.',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto, description: 'The delivery is queued.' })
  @ApiProblemResponses(400, 401, 403, 404)
  retryWebhookDelivery(@Param() params: WebhookDeliveryParams): Promise<WebhookDeliveryDto> {
    return this.webhooks.retry(params.id, params.delivery_id);
  }
}
