import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { repoRoot } from '../support/repository.js';

type Node = Record<string, unknown>;
const isRecord = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
const recordsOf = (value: unknown): [string, Node][] =>
  isRecord(value) ? Object.entries(value).filter((entry): entry is [string, Node] => isRecord(entry[1])) : [];

const COMPONENT = '#/components/schemas/';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/**
 * An OpenAPI 3.0 schema as the JSON Schema a validator reads: `nullable` becomes a `null` type,
 * the OpenAPI-only keywords go (`example`, `discriminator`: the `oneOf` alone picks the one branch
 * whose `type` matches), and references point into the document's schemas registered as `doc`.
 */
function jsonSchemaOf(schema: unknown): unknown {
  if (!isRecord(schema)) return schema;
  const { example: _example, discriminator: _discriminator, nullable, $ref, properties, items, additionalProperties, not, ...rest } = schema;
  const converted: Node = { ...rest };
  if (typeof $ref === 'string') converted.$ref = `doc#/definitions/${$ref.slice(COMPONENT.length)}`;
  if (isRecord(properties)) converted.properties = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, jsonSchemaOf(property)]));
  if (items !== undefined) converted.items = jsonSchemaOf(items);
  if (additionalProperties !== undefined) converted.additionalProperties = jsonSchemaOf(additionalProperties);
  if (not !== undefined) converted.not = jsonSchemaOf(not);
  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(rest[keyword])) converted[keyword] = rest[keyword].map(jsonSchemaOf);
  }
  if (nullable !== true) return converted;
  if (typeof converted.type !== 'string') return { anyOf: [converted, { type: 'null' }] };
  return { ...converted, type: [converted.type, 'null'], ...(Array.isArray(converted.enum) && { enum: [...converted.enum, null] }) };
}

interface Example {
  where: string;
  schema: unknown;
  example: unknown;
}

/** The examples of a schema and of the schemas inside it. */
function* schemaExamples(schema: Node, where: string): Generator<Example> {
  if ('example' in schema) yield { where, schema, example: schema.example };
  for (const [name, property] of recordsOf(schema.properties)) yield* schemaExamples(property, `${where}.properties.${name}`);
  for (const keyword of ['items', 'additionalProperties', 'not']) {
    if (isRecord(schema[keyword])) yield* schemaExamples(schema[keyword], `${where}.${keyword}`);
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const branches = Array.isArray(schema[keyword]) ? (schema[keyword] as unknown[]) : [];
    for (const [index, branch] of branches.entries()) if (isRecord(branch)) yield* schemaExamples(branch, `${where}.${keyword}[${index}]`);
  }
}

/** The examples of a parameter, header or media type (`example`, or each of `examples`), and those of its schema. */
function* holderExamples(holder: Node, where: string): Generator<Example> {
  const schema = isRecord(holder.schema) ? holder.schema : {};
  if ('example' in holder) yield { where, schema, example: holder.example };
  for (const [name, example] of recordsOf(holder.examples)) yield { where: `${where} example ${name}`, schema, example: example.value };
  yield* schemaExamples(schema, `${where} schema`);
}

/** Every example in the document: of the shared schemas, and of each operation's parameters, bodies, answers and headers. */
function* documentExamples(document: Node): Generator<Example> {
  for (const [name, schema] of recordsOf((document.components as Node).schemas)) yield* schemaExamples(schema, `${COMPONENT}${name}`);
  for (const [path, pathItem] of recordsOf(document.paths)) {
    for (const [method, operation] of recordsOf(pathItem).filter(([method]) => METHODS.includes(method))) {
      const where = `${method.toUpperCase()} ${path}`;
      const parameters = [...((pathItem.parameters as Node[] | undefined) ?? []), ...((operation.parameters as Node[] | undefined) ?? [])];
      for (const parameter of parameters) yield* holderExamples(parameter, `${where} ${String(parameter.in)} parameter ${String(parameter.name)}`);
      const requestBody = isRecord(operation.requestBody) ? operation.requestBody : {};
      for (const [type, media] of recordsOf(requestBody.content)) yield* holderExamples(media, `${where} request ${type}`);
      for (const [status, response] of recordsOf(operation.responses)) {
        for (const [type, media] of recordsOf(response.content)) yield* holderExamples(media, `${where} ${status} ${type}`);
        for (const [name, header] of recordsOf(response.headers)) yield* holderExamples(header, `${where} ${status} header ${name}`);
      }
    }
  }
}

/**
 * Where in the document an `enum` of more than one value is spelled, other than as a shared schema
 * of its own, or beside a default (a parameter's schema that refers to a shared enum cannot have one).
 */
function inlineEnums(node: unknown, where: string, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item, index) => inlineEnums(item, `${where}/${index}`, found));
  if (!isRecord(node)) return found;
  const isSharedSchema = where.startsWith(COMPONENT) && !where.slice(COMPONENT.length).includes('/');
  if (Array.isArray(node.enum) && node.enum.length > 1 && !isSharedSchema && !('default' in node)) found.push(`${where}: ${JSON.stringify(node.enum)}`);
  for (const [key, value] of Object.entries(node)) inlineEnums(value, `${where}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, found);
  return found;
}

describe('openapi.json, as client generators read it', () => {
  let document: Node & { servers: { url: string }[]; paths: Record<string, Node> };
  before(async () => {
    document = JSON.parse(await readFile(join(repoRoot, 'openapi.json'), 'utf8'));
  });

  it('joins its server URL and each path into a URL of that path on the host that serves the app, as a browser resolves it', () => {
    assert.equal(document.servers.length, 1);
    const page = 'https://mentors.example.org/app/chapters/chpt_03AZ';
    for (const path of Object.keys(document.paths)) {
      // OpenAPI appends a path to the server URL as it is, without resolving it (swagger-typescript-api and hey-api both do).
      const joined = new URL(`${document.servers[0].url}${path}`, page);
      assert.equal(joined.origin, 'https://mentors.example.org', path);
      assert.equal(decodeURI(joined.pathname), path);
    }
  });

  it('gives only examples that are valid against their schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    formats.default(ajv, ['date-time']);
    // As generated zod schemas check a UUID (RFC 9562): a version from 1 to 8 and the variant bits 10, or the nil or max UUID.
    ajv.addFormat('uuid', /^(?:[\da-f]{8}-[\da-f]{4}-[1-8][\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i);
    const shared = recordsOf((document.components as Node).schemas).map(([name, schema]) => [name, jsonSchemaOf(schema)]);
    ajv.addSchema({ $id: 'doc', definitions: Object.fromEntries(shared) });
    const examples = [...documentExamples(document)];
    // The walk above finds them all: a change to it that finds none must not pass.
    assert.ok(examples.length > 300, `${examples.length} examples found`);
    const invalid = examples.flatMap(({ where, schema, example }) => {
      const validate = ajv.compile(jsonSchemaOf(schema) as object);
      return validate(example) ? [] : [`${where}: ${JSON.stringify(example)} ${ajv.errorsText(validate.errors)}`];
    });
    assert.deepEqual(invalid, [], 'fix the `example` of the decorator, then `npm run openapi`');
  });

  it('declares each enum of several values once, as a shared schema that the document refers to', () => {
    assert.deepEqual(inlineEnums(document, '#'), [], 'name the enum (`enumName`) where it is declared, then `npm run openapi`');
    // A shared enum is its values alone: a description would be one property's, shown wherever it is used.
    const described = recordsOf((document.components as Node).schemas).filter(([, schema]) => Array.isArray(schema.enum) && 'description' in schema);
    assert.deepEqual(
      described.map(([name]) => name),
      [],
    );
  });
});
