import { ApiProperty } from '@nestjs/swagger';

/** The data of `webhook.subscription.disabled`. */
export class WebhookSubscriptionDisabledDataDto {
  @ApiProperty({ format: 'uuid' })
  subscription_id: string;

  @ApiProperty({ example: 'https://hooks.example.org/mentor-events' })
  url: string;

  @ApiProperty({ format: 'date-time', description: 'The first failed delivery since the last success.' })
  failing_since: string;

  @ApiProperty({ format: 'date-time' })
  disabled_at: string;

  @ApiProperty({ type: String, nullable: true, description: 'What the last attempt ended with.', example: 'HTTP 503' })
  last_error: string | null;
}
