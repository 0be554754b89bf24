import { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables whose rows keep the verified principal of their latest write, and the instant their audit order goes by. */
const TABLES = [
  { table: 'mentor_status_records', order: 'changed_at', where: 'WHERE "deleted_at" IS NULL' },
  { table: 'mentor_suppressions', order: 'suppressed_at', where: '' },
];

/**
 * `recorded_by_*`: who the service verified a write to come from (an API key's name, or an access
 * token's `sub` and client), and the request's id, beside each status record and suppression.
 * Rows written before stay null: no migration invents an author.
 */
export class RecordVerifiedPrincipals1763800060000 implements MigrationInterface {
  name = 'RecordVerifiedPrincipals1763800060000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const { table, order, where } of TABLES) {
      await queryRunner.query(
        `ALTER TABLE "${table}"
           ADD COLUMN "recorded_by_kind" varchar(16),
           ADD COLUMN "recorded_by_id" varchar(255),
           ADD COLUMN "recorded_by_client_id" varchar(255),
           ADD COLUMN "recorded_by_request_id" varchar(128),
           ADD CONSTRAINT "${table}_recorded_by_kind_check" CHECK ("recorded_by_kind" IN ('api_key', 'token')),
           ADD CONSTRAINT "${table}_recorded_by_check" CHECK (("recorded_by_kind" IS NULL) = ("recorded_by_id" IS NULL) AND ("recorded_by_kind" IS NULL) = ("recorded_by_request_id" IS NULL))`,
      );
      await queryRunner.query(`CREATE INDEX "${table}_recorded_by_idx" ON "${table}" ("recorded_by_id", "${order}" DESC, "id" DESC) ${where}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const { table } of TABLES) {
      await queryRunner.query(`DROP INDEX "${table}_recorded_by_idx"`);
      await queryRunner.query(
        `ALTER TABLE "${table}" DROP COLUMN "recorded_by_kind", DROP COLUMN "recorded_by_id", DROP COLUMN "recorded_by_client_id", DROP COLUMN "recorded_by_request_id"`,
      );
    }
  }
}
