import { stringify } from 'csv-stringify';
import { Transform } from 'node:stream';
import type { ExportFormat } from './dto/export-query.dto.js';

/**
 * What a spreadsheet would evaluate (`=`, `+`, `-`, `@`, and tab or carriage return before one of
 * them), and the apostrophe itself, so that the rule can be undone exactly.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

/**
 * CSV injection: a cell that begins with `=`, `+`, `-`, `@`, a tab, a carriage return or `'` is
 * written with a `'` before it, which spreadsheets take as "text" and do not evaluate. The stored
 * value is the cell without one leading `'`, wherever a cell begins with one.
 */
export function neutralised(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** Every property of `Item`, each named once: the compiler refuses a list that leaves one out, so an item that gains a field gains a column. */
export function columnsOf<Item>() {
  return <const Columns extends readonly (keyof Item & string)[]>(
    columns: Columns & ([Exclude<keyof Item, Columns[number]>] extends [never] ? unknown : { missing: Exclude<keyof Item, Columns[number]> }),
  ): readonly (keyof Item & string)[] => columns;
}

/** The media types, as the OpenAPI document names them. */
export const MEDIA_TYPES: Record<ExportFormat, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson' };
/** What the answers say: CSV has no default charset of its own (RFC 7111), NDJSON is UTF-8 always. */
export const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', ndjson: MEDIA_TYPES.ndjson };

/** Properties whose value is an object: CSV gives each of its members a column of its own, `<property>_<member>`. */
const NESTED_COLUMNS: Record<string, readonly string[]> = { recorded_by: ['kind', 'id', 'client_id', 'request_id'] };

function csvColumns(columns: readonly string[]): { key: string; header: string }[] {
  return columns.flatMap((name) =>
    (NESTED_COLUMNS[name] ?? ['']).map((member) => (member ? { key: `${name}.${member}`, header: `${name}_${member}` } : { key: name, header: name })),
  );
}

/**
 * RFC 4180 CSV (CRLF line ends, quotes where needed): a header of the item's property names, then
 * one row per item, each cell as the item's JSON has it (`null` and an absent property are empty,
 * booleans `true`/`false`) and neutralised; an object's members in columns of their own (NESTED_COLUMNS).
 */
function csvWriter(columns: readonly string[]): Transform[] {
  const rows = new Transform({
    objectMode: true,
    transform(batch: unknown[], _encoding, done) {
      for (const item of batch) this.push(item);
      done();
    },
  });
  const csv = stringify({ header: true, columns: csvColumns(columns), record_delimiter: 'windows', cast: { boolean: String, string: neutralised } });
  return [rows, csv];
}

/** One item's JSON per line, exactly as the list shows it. */
function ndjsonWriter(): Transform[] {
  return [
    new Transform({
      writableObjectMode: true,
      transform(batch: unknown[], _encoding, done) {
        done(null, `${batch.map((item) => JSON.stringify(item)).join('\n')}\n`);
      },
    }),
  ];
}

/** The streams that turn batches of items into the export's text, in order. */
export function writerFor(format: ExportFormat, columns: readonly string[]): Transform[] {
  return format === 'csv' ? csvWriter(columns) : ndjsonWriter();
}
