import { MigrationInterface, QueryRunner } from 'typeorm';

const SLOTS = 16;

/**
 * An exact count of the live (not soft-deleted) status records per status, kept by statement
 * triggers, so that the unfiltered audit log answers its `total` without counting a table that
 * only grows. Each connection adds to a slot of its own (backend pid modulo the slot count):
 * concurrent writers do not queue on one hot row, and a transaction only ever locks its own
 * slot. Readers sum the slots.
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
    // Transition tables exist only for the event that fired, hence one statement per event.
    const addPerStatus = (changes: string, having = '') => `
      INSERT INTO mentor_status_record_counts (status, slot, live)
      SELECT status, pg_backend_pid() % ${SLOTS}, sum(change) FROM (${changes}) changes
      GROUP BY status ${having} ORDER BY status
      ON CONFLICT (status, slot) DO UPDATE SET live = mentor_status_record_counts.live + EXCLUDED.live;`;
    await queryRunner.query(`
      CREATE FUNCTION "mentor_status_records_count_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${addPerStatus('SELECT status, 1 AS change FROM new_rows WHERE deleted_at IS NULL')}
        ELSIF TG_OP = 'DELETE' THEN
          ${addPerStatus('SELECT status, -1 AS change FROM old_rows WHERE deleted_at IS NULL')}
        ELSIF TG_OP = 'UPDATE' THEN
          ${addPerStatus(
            `SELECT status, 1 AS change FROM new_rows WHERE deleted_at IS NULL
             UNION ALL SELECT status, -1 FROM old_rows WHERE deleted_at IS NULL`,
            'HAVING sum(change) <> 0',
          )}
        ELSE
          DELETE FROM mentor_status_record_counts;
        END IF;
        RETURN NULL;
      END $$`);
    // No write may slip in between counting the rows already there and the triggers taking over.
    await queryRunner.query(`LOCK TABLE "mentor_status_records" IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(`
      INSERT INTO "mentor_status_record_counts" ("status", "slot", "live")
      SELECT "status", 0, count(*) FROM "mentor_status_records" WHERE "deleted_at" IS NULL GROUP BY "status"`);
    await queryRunner.query(`
      CREATE TRIGGER "mentor_status_records_count_inserts" AFTER INSERT ON "mentor_status_records"
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "mentor_status_records_count_changes"()`);
    await queryRunner.query(`
      CREATE TRIGGER "mentor_status_records_count_updates" AFTER UPDATE ON "mentor_status_records"
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "mentor_status_records_count_changes"()`);
    await queryRunner.query(`
      CREATE TRIGGER "mentor_status_records_count_deletes" AFTER DELETE ON "mentor_status_records"
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "mentor_status_records_count_changes"()`);
    await queryRunner.query(`
      CREATE TRIGGER "mentor_status_records_count_truncates" AFTER TRUNCATE ON "mentor_status_records"
      FOR EACH STATEMENT EXECUTE FUNCTION "mentor_status_records_count_changes"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const event of ['inserts', 'updates', 'deletes', 'truncates']) {
      await queryRunner.query(`DROP TRIGGER "mentor_status_records_count_${event}" ON "mentor_status_records"`);
    }
    await queryRunner.query(`DROP FUNCTION "mentor_status_records_count_changes"()`);
    await queryRunner.query(`DROP TABLE "mentor_status_record_counts"`);
  }
}
