import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdempotencyKeys1763800004000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1763800004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "idempotency_keys" (
        "scope" varchar(64) NOT NULL,
        "key" varchar(255) NOT NULL,
        "request_hash" char(64) NOT NULL,
        "reservation_id" uuid NOT NULL,
        "state" varchar(16) NOT NULL,
        "response_status" smallint,
        "response_content_type" varchar(255),
        "response_body" text,
        "reserved_at" timestamptz NOT NULL,
        "expires_at" timestamptz NOT NULL,
        CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("scope", "key"),
        CONSTRAINT "idempotency_keys_state_check" CHECK ("state" IN ('in_progress', 'completed')),
        CONSTRAINT "idempotency_keys_response_check" CHECK (("state" = 'completed') = ("response_status" IS NOT NULL AND "response_body" IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
  }
}
