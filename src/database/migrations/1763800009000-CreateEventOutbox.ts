import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: every write that changes a mentor inserts its change events here, in
 * the writing transaction, so an event exists exactly when its change committed.
 *
 * Each row keeps the id of the transaction that wrote it (`xid`, pg_current_xact_id() as bigint)
 * and a sequence number. Readers order by (xid, seq) and only read rows whose xid lies below the
 * xmin of their snapshot: every transaction with a smaller xid has ended by then, so no row can
 * later appear before a position a reader has passed, whatever order transactions commit in.
 *
 * `event_positions` holds named positions in that order: how far retention has pruned, and how far
 * the JetStream publisher has published. A statement trigger NOTIFYs `mentor_events`, which
 * PostgreSQL delivers at commit, to wake long-polling readers and delivery workers.
 */
export class CreateEventOutbox1763800009000 implements MigrationInterface {
  name = 'CreateEventOutbox1763800009000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "event_outbox" (
        "xid" bigint NOT NULL DEFAULT (pg_current_xact_id()::text)::bigint,
        "seq" bigserial NOT NULL,
        "id" uuid NOT NULL,
        "type" varchar(64) NOT NULL,
        "subject" varchar(64) NOT NULL,
        "time" timestamptz NOT NULL,
        "data" json NOT NULL,
        CONSTRAINT "event_outbox_pkey" PRIMARY KEY ("xid", "seq")
      )`);
    await queryRunner.query(`CREATE INDEX "event_outbox_subject_idx" ON "event_outbox" ("subject", "xid", "seq")`);
    await queryRunner.query(`
      CREATE TABLE "event_positions" (
        "name" varchar(64) NOT NULL,
        "xid" bigint NOT NULL,
        "seq" bigint NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "event_positions_pkey" PRIMARY KEY ("name")
      )`);
    await queryRunner.query(`
      CREATE FUNCTION "event_outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('mentor_events', '');
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "event_outbox_notify" AFTER INSERT ON "event_outbox" FOR EACH STATEMENT EXECUTE FUNCTION "event_outbox_notify"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "event_positions"`);
    await queryRunner.query(`DROP TABLE "event_outbox"`);
    await queryRunner.query(`DROP FUNCTION "event_outbox_notify"()`);
  }
}
