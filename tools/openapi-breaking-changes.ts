import { apiCompare, type Diff } from 'api-smart-diff';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The node at `path` in `document`, following local `$ref`s on the way, as the diff's paths do. */
function nodeAt(document: unknown, path: readonly (string | number)[]): unknown {
  let node = document;
  for (const segment of path) {
    while (isRecord(node) && typeof node.$ref === 'string' && node.$ref.startsWith('#/')) {
      node = nodeAt(
        document,
        node.$ref
          .slice(2)
          .split('/')
          .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~')),
      );
    }
    node = isRecord(node) ? node[segment] : undefined;
  }
  return node;
}

/**
 * The service rejects request body properties its schemas do not declare (`additionalProperties:
 * false`), so a property dropped from such a schema breaks the callers that still send it, where
 * the diff's rules, written for open schemas, see a widening.
 */
function removesPropertyOfClosedSchema(diff: Diff, before: unknown): boolean {
  if (diff.action !== 'remove' || diff.path.at(-2) !== 'properties') return false;
  const schema = nodeAt(before, diff.path.slice(0, -2));
  return isRecord(schema) && schema.additionalProperties === false;
}

/**
 * One line per change: `POST /things: [Removed] property …` where the diff names the operation,
 * else the place in the document (a schema under components, shared by the operations that use it).
 */
function describe(diff: Diff): string {
  const [root, path, method] = diff.path;
  const where = root === 'paths' && typeof method === 'string' ? `${method.toUpperCase()} ${String(path)}` : diff.path.join('.');
  if (diff.description) return `${where}: ${diff.description}`;
  const values = diff.action === 'replace' ? ` (${JSON.stringify(diff.before)} -> ${JSON.stringify(diff.after)})` : '';
  return `${where}: ${diff.action}${values}`;
}

/**
 * What a client of `before` could no longer do against `after`: removed paths, operations,
 * parameters, response properties and enum values, narrowed types and bounds, newly required
 * parameters and body properties, as `api-smart-diff` classifies them, and properties removed
 * from closed schemas. The diff names each change once, at the first place it meets the changed
 * node: in an operation, or in a schema under components that operations share.
 */
export function breakingChanges(before: unknown, after: unknown): string[] {
  const { diffs } = apiCompare(before, after);
  const breaking = diffs.filter((diff) => diff.type === 'breaking' || removesPropertyOfClosedSchema(diff, before));
  return [...new Set(breaking.map(describe))];
}

/** The major version of a semantic version such as `1.4.0`. */
export function majorOf(version: string): number {
  const match = /^(\d+)\.\d+\.\d+/.exec(version);
  if (!match) throw new Error(`not a semantic version: ${version}`);
  return Number(match[1]);
}
