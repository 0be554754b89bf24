import { MigrationInterface, QueryRunner } from 'typeorm';

/** The defaults every installation starts with; more are added with PUT /api/v1/reason-codes/:code. */
const DEFAULT_CODES: { code: string; pauses: boolean; suppressions: boolean; label: string; description: string }[] = [
  { code: 'personal_leave', pauses: true, suppressions: false, label: 'Personal leave', description: 'The mentor steps back for personal reasons.' },
  { code: 'parental_leave', pauses: true, suppressions: false, label: 'Parental leave', description: 'The mentor is on parental leave.' },
  {
    code: 'certification_expired',
    pauses: true,
    suppressions: true,
    label: 'Certification expired',
    description: "The mentor's certification has lapsed; the certification sweep pauses and hides such mentors.",
  },
  {
    code: 'certification_renewed',
    pauses: false,
    suppressions: true,
    label: 'Certification renewed',
    description: 'The certification was renewed: the `restore_reason` with which the certification sweep restores its suppressions.',
  },
  {
    code: 'conduct_review',
    pauses: true,
    suppressions: true,
    label: 'Conduct review',
    description: 'The mentor is held back while a conduct concern is reviewed.',
  },
  { code: 'capacity', pauses: true, suppressions: false, label: 'At capacity', description: 'The mentor has as many mentees as they can take for now.' },
  { code: 'other', pauses: true, suppressions: true, label: 'Other', description: 'None of the above; the free-text reason says more.' },
];

/**
 * The registry of reason codes: what a pause's `reason_code` may be, and the known codes of
 * suppressions (whose `reason` accepts any snake_case code), each with a label and a description.
 * A code applies to pauses, to suppressions or to both. (code, applies_to_pauses) is unique so that
 * status records can refer to "a code that applies to pauses" with a foreign key.
 */
export class CreateReasonCodes1763800020000 implements MigrationInterface {
  name = 'CreateReasonCodes1763800020000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "reason_codes" (
        "code" varchar(64) NOT NULL,
        "applies_to_pauses" boolean NOT NULL,
        "applies_to_suppressions" boolean NOT NULL,
        "label" varchar(100) NOT NULL,
        "description" varchar(500) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "reason_codes_pkey" PRIMARY KEY ("code"),
        CONSTRAINT "reason_codes_pause_code_key" UNIQUE ("code", "applies_to_pauses"),
        CONSTRAINT "reason_codes_code_check" CHECK ("code" ~ '^[a-z][a-z0-9_]{0,63}$'),
        CONSTRAINT "reason_codes_applies_check" CHECK ("applies_to_pauses" OR "applies_to_suppressions")
      )`);
    await queryRunner.query(
      `INSERT INTO "reason_codes" ("code", "applies_to_pauses", "applies_to_suppressions", "label", "description")
       SELECT * FROM unnest($1::varchar[], $2::boolean[], $3::boolean[], $4::varchar[], $5::varchar[])`,
      [
        DEFAULT_CODES.map((entry) => entry.code),
        DEFAULT_CODES.map((entry) => entry.pauses),
        DEFAULT_CODES.map((entry) => entry.suppressions),
        DEFAULT_CODES.map((entry) => entry.label),
        DEFAULT_CODES.map((entry) => entry.description),
      ],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "reason_codes"`);
  }
}
