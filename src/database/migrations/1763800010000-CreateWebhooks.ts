import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook subscriptions and their deliveries. A subscription follows the event outbox like a feed
 * consumer: `position_xid`/`position_seq` is the last event it is done with (delivered, or given up),
 * and a worker that holds its lease (`lease_owner` until `lease_until`) delivers the next events in
 * order. `next_attempt_at` holds the subscription back while its next event waits for a retry.
 * A delivery row is kept per subscription and event, with its last attempt.
 */
export class CreateWebhooks1763800010000 implements MigrationInterface {
  name = 'CreateWebhooks1763800010000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "webhook_subscriptions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "url" varchar(2048) NOT NULL,
        "event_types" varchar(64)[],
        "description" varchar(500),
        "enabled" boolean NOT NULL DEFAULT true,
        "secret" varchar(128) NOT NULL,
        "position_xid" bigint NOT NULL,
        "position_seq" bigint NOT NULL,
        "next_attempt_at" timestamptz,
        "lease_owner" uuid,
        "lease_until" timestamptz,
        "failing_since" timestamptz,
        "last_success_at" timestamptz,
        "disabled_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "webhook_subscriptions_pkey" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE INDEX "webhook_subscriptions_created_idx" ON "webhook_subscriptions" ("created_at", "id")`);
    await queryRunner.query(`
      CREATE TABLE "webhook_deliveries" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "subscription_id" uuid NOT NULL,
        "event_xid" bigint NOT NULL,
        "event_seq" bigint NOT NULL,
        "event_id" uuid NOT NULL,
        "event_type" varchar(64) NOT NULL,
        "status" varchar(16) NOT NULL,
        "attempts" integer NOT NULL,
        "first_attempt_at" timestamptz,
        "last_attempt_at" timestamptz,
        "next_attempt_at" timestamptz,
        "response_status" smallint,
        "duration_ms" integer,
        "error" varchar(500),
        "response_body" varchar(1024),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "webhook_deliveries_event_key" UNIQUE ("subscription_id", "event_xid", "event_seq"),
        CONSTRAINT "webhook_deliveries_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed')),
        CONSTRAINT "webhook_deliveries_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscriptions" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" ("subscription_id", "next_attempt_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(`CREATE INDEX "webhook_deliveries_created_idx" ON "webhook_deliveries" ("created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "webhook_subscriptions"`);
  }
}
