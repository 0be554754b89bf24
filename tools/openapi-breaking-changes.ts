import { apiCompare, type Diff } from 'api-smart-diff';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The node at `path` in `root`. */
function nodeAt(root: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((node, segment) => (isRecord(node) ? node[segment] : undefined), root);
}

/**
 * The operations with every local `$ref` replaced by what it points to. Diffed with shared schemas
 * left under components, a change to one is judged without knowing whether requests or answers
 * use it, and a field added to an answer reads like one a request must now send.
 */
function operationsInlined(document: unknown): unknown {
  const inline = (node: unknown, refs: readonly string[]): unknown => {
    if (Array.isArray(node)) return node.map((item) => inline(item, refs));
    if (!isRecord(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      if (refs.includes(ref)) throw new Error(`${ref} refers to itself; the breaking-change check cannot inline it`);
      const path = ref
        .slice(2)
        .split('/')
        .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
      return inline(nodeAt(document, path), [...refs, ref]);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inline(value, refs)]));
  };
  const { openapi, info, paths } = isRecord(document) ? document : {};
  return { openapi, info, paths: inline(paths, []) };
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
 * What breaks code compiled against the generated types, which the diff's rules let pass: a
 * parameter, body property or answer field of another type, and in an answer a field that may now
 * be null or an enum value that is gone (a comparison with it no longer compiles).
 */
function breaksTypedCode(diff: Diff): boolean {
  const last = diff.path.at(-1);
  if (diff.action === 'replace' && last === 'type') return true;
  if (!diff.path.includes('responses')) return false;
  if (last === 'nullable' && diff.after === true) return true;
  return diff.action === 'remove' && diff.path.at(-2) === 'enum';
}

/** One line per change, `POST /things: [Removed] property …`. */
function describe(diff: Diff): string {
  const [, path, method] = diff.path;
  const where = typeof method === 'string' ? `${method.toUpperCase()} ${String(path)}` : String(path);
  if (diff.description) return `${where}: ${diff.description}`;
  const values = diff.action === 'replace' ? ` (${JSON.stringify(diff.before)} -> ${JSON.stringify(diff.after)})` : '';
  return `${where}: ${diff.action} ${diff.path.slice(3).join('.')}${values}`;
}

/**
 * What a client of `before` could no longer do against `after`: removed paths, operations,
 * parameters, response properties and enum values, narrowed types and bounds, newly required
 * parameters and body properties, as `api-smart-diff` classifies them, plus properties removed
 * from closed request bodies and what breaks code compiled against the types. One line per change and
 * operation it reaches.
 */
export function breakingChanges(before: unknown, after: unknown): string[] {
  const [old, current] = [operationsInlined(before), operationsInlined(after)];
  const { diffs } = apiCompare(old, current);
  const breaking = diffs.filter((diff) => diff.type === 'breaking' || removesPropertyOfClosedSchema(diff, old) || breaksTypedCode(diff));
  return [...new Set(breaking.map(describe))];
}

/** The major version of a semantic version such as `1.4.0`. */
export function majorOf(version: string): number {
  const match = /^(\d+)\.\d+\.\d+/.exec(version);
  if (!match) throw new Error(`not a semantic version: ${version}`);
  return Number(match[1]);
}
