import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySchemaFile } from '../schema/schema-files.js';

/**
 * An exact count of the live (not soft-deleted) status records per status, for the unfiltered
 * audit log's `total`: the table, filled from the records already there, and the statement
 * triggers that keep it (schema/status-record-counts.sql).
 */
export class CountLiveStatusRecords1763800003000 implements MigrationInterface {
  name = 'CountLiveStatusRecords1763800003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mentor_status_record_counts" (
        "status" varchar(16) NOT NULL,
        "slot" smallint NOT NULL,
        "live" bigint NOT NULL,
        CONSTRAINT "mentor_status_record_counts_pkey" PRIMARY KEY ("status", "slot")
      )`);
    // No write may slip in between counting the rows already there and the triggers taking over.
    await queryRunner.query(`LOCK TABLE "mentor_status_records" IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(`
      INSERT INTO "mentor_status_record_counts" ("status", "slot", "live")
      SELECT "status", 0, count(*) FROM "mentor_status_records" WHERE "deleted_at" IS NULL GROUP BY "status"`);
    await applySchemaFile(queryRunner, 'status-record-counts', '0dc1333bbeb29585');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const event of ['inserts', 'updates', 'deletes', 'truncates']) {
      await queryRunner.query(`DROP TRIGGER "mentor_status_records_count_${event}" ON "mentor_status_records"`);
    }
    await queryRunner.query(`DROP FUNCTION "mentor_status_records_count_changes"()`);
    await queryRunner.query(`DROP TABLE "mentor_status_record_counts"`);
  }
}
