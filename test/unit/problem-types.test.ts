import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { PROBLEM_TYPES, ProblemType } from '../../src/common/errors/problem-types.js';
import { repoRoot } from '../support/repository.js';

/**
 * The registry of problem types and the OpenAPI document, held to each other (openapi.json is the
 * served document byte for byte: openapi-document.e2e.test.ts). Registry to document: the list on
 * ProblemDto.type holds every registered type with its status, and nothing else. Document to
 * registry: every type the document names anywhere is registered, and where an answer of an
 * operation (or an example problem) names one, it has the status the registry gives that type.
 */

const TYPE = /about:blank|\/problems\/[a-z0-9-]+/g;
const registered = new Map(Object.entries(PROBLEM_TYPES).map(([type, entry]) => [type, 'status' in entry ? entry.status : undefined]));

interface Response {
  description?: string;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, Response> }>>;
  components: { schemas: { ProblemDto: { properties: { type: { description: string } } } } };
}

/** Every string in the document, with where it is. */
function* strings(value: unknown, path: string): Generator<[path: string, text: string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [index, item] of value.entries()) yield* strings(item, `${path}[${index}]`);
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) yield* strings(item, `${path}.${key}`);
}

/** Every object in the document that reads as a problem: a `type` and a numeric `status` (the examples of a batch's failed items). */
function* problems(value: unknown, path: string): Generator<[path: string, problem: { type: string; status: number }]> {
  if (Array.isArray(value)) for (const [index, item] of value.entries()) yield* problems(item, `${path}[${index}]`);
  else if (value !== null && typeof value === 'object') {
    const candidate = value as { type?: unknown; status?: unknown };
    if (typeof candidate.type === 'string' && typeof candidate.status === 'number') yield [path, { type: candidate.type, status: candidate.status }];
    for (const [key, item] of Object.entries(value)) yield* problems(item, `${path}.${key}`);
  }
}

describe('the problem types (PROBLEM_TYPES) and the OpenAPI document', () => {
  let document: OpenApiDocument;
  before(async () => {
    document = JSON.parse(await readFile(join(repoRoot, 'openapi.json'), 'utf8')) as OpenApiDocument;
  });

  it('the document lists every registered type, with its status, on ProblemDto.type, and no other', () => {
    const listed = new Map(
      [...document.components.schemas.ProblemDto.properties.type.description.matchAll(/^- `([^`]+)`(?: \((\d{3})\))?: /gm)].map(([, type, status]) => [
        type,
        status === undefined ? undefined : Number(status),
      ]),
    );
    assert.deepEqual(listed, registered);
  });

  it('every type the document names is registered', () => {
    const unknown = [...strings(document, '$')].flatMap(([path, text]) =>
      [...text.matchAll(TYPE)]
        .map(([type]) => type)
        .filter((type) => !registered.has(type))
        .map((type) => `${type} at ${path}`),
    );
    assert.deepEqual(unknown, []);
  });

  it("an operation's answer names only types of its own status, and an example problem has its type's status", () => {
    const misplaced: string[] = [];
    for (const [path, pathItem] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(pathItem)) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          for (const [type] of (response.description ?? '').matchAll(TYPE)) {
            if (registered.get(type) !== Number(status)) misplaced.push(`${method.toUpperCase()} ${path} ${status} names ${type}`);
          }
        }
      }
    }
    for (const [path, problem] of problems(document.paths, '$.paths')) {
      if (registered.get(problem.type) !== problem.status) misplaced.push(`${path}: ${problem.type} with status ${problem.status}`);
    }
    assert.deepEqual(misplaced, []);
  });
});

describe('the problem types (PROBLEM_TYPES) and the code', () => {
  it('every registered type is given by some answer: raised by name in src/, or the type of its status', async () => {
    const sources = await readdir(join(repoRoot, 'src'), { recursive: true });
    const code = (
      await Promise.all(
        sources.filter((file) => file.endsWith('.ts') && !file.endsWith('problem-types.ts')).map((file) => readFile(join(repoRoot, 'src', file), 'utf8')),
      )
    ).join('\n');
    const unused = (Object.entries(PROBLEM_TYPES) as [ProblemType, { ofStatus?: true }][])
      .filter(([type, entry]) => type !== 'about:blank' && !entry.ofStatus && !code.includes(`'${type}'`))
      .map(([type]) => type);
    assert.deepEqual(unused, []);
  });
});
