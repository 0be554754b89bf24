import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Type, ValidationPipe } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { compileInput } from '../../src/common/validation/compiled-input.js';

const sourceRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Every DTO a controller takes as its path or query parameters (`@Param()`, `@Query()`). */
async function parameterDtos(): Promise<Map<Type, 'param' | 'query'>> {
  const found = new Map<Type, 'param' | 'query'>();
  const files = readdirSync(sourceRoot, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.controller.js'));
  for (const file of files) {
    const exported = (await import(pathToFileURL(join(sourceRoot, file)).href)) as Record<string, unknown>;
    for (const controller of Object.values(exported)) {
      if (typeof controller !== 'function') continue;
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { index: number }>;
        const types = (Reflect.getMetadata('design:paramtypes', controller.prototype as object, method) ?? []) as Type[];
        for (const [key, { index }] of Object.entries(args)) {
          const kind = key.startsWith(`${RouteParamtypes.QUERY}:`) ? 'query' : key.startsWith(`${RouteParamtypes.PARAM}:`) ? 'param' : undefined;
          if (kind && types[index]) found.set(types[index], kind);
        }
      }
    }
  }
  return found;
}

/** Strings a client might send for any parameter: good ones, near misses, and the documented example of each property. */
const CANDIDATES = [
  '',
  ' ',
  'x',
  'true',
  'false',
  'TRUE',
  '0',
  '1',
  '20',
  '100',
  '101',
  '-1',
  '1e2',
  '010',
  '+5',
  '1.0',
  'active',
  'paused',
  'inactive',
  'created_at',
  'asc',
  'desc',
  'mntr_0000001',
  'chpt_0001',
  'a b',
  'a'.repeat(65),
  'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J',
  'msr_01KK9T4N2H8Q6V3X7C5D1F0G2I',
  '2026-03-01T00:00:00Z',
  '2026-03-01T00:00:00.123+02:00',
  '2026-13-01T00:00:00Z',
  '2026-03-01',
  'certification_expired',
  'Certification',
];

function examplesOf(metatype: Type, properties: string[]): Record<string, string> {
  const documented = (property: string) =>
    Reflect.getMetadata('swagger/apiModelProperties', metatype.prototype as object, property) as { example?: unknown; enum?: unknown[] } | undefined;
  return Object.fromEntries(
    properties
      .map((property) => [property, documented(property)?.example ?? documented(property)?.enum?.[0]] as const)
      .filter(([, example]) => example !== undefined)
      .map(([property, example]) => [property, String(example)]),
  );
}

/** Nest's own ValidationPipe with the options of the app's pipe: class-transformer and class-validator as they are. */
const reference = new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, stopAtFirstError: true });

async function referenceDto(value: Record<string, string>, type: 'param' | 'query', metatype: Type): Promise<Record<string, unknown> | undefined> {
  try {
    return { ...((await reference.transform({ ...value }, { type, metatype })) as Record<string, unknown>) };
  } catch {
    return undefined;
  }
}

describe('compiled checks of path and query parameters', () => {
  it('accept exactly what class-validator accepts, and give the DTO class-transformer gives, for every parameter DTO', async () => {
    const dtos = await parameterDtos();
    assert.ok(dtos.size >= 10, `found ${dtos.size} parameter DTOs`);
    let compared = 0;
    for (const [metatype, type] of dtos) {
      const compiled = compileInput(metatype);
      assert.ok(compiled, `${metatype.name} has a compiled form`);
      const names = ((Reflect.getMetadata('swagger/apiModelPropertiesArray', metatype.prototype as object) ?? []) as string[]).map((name) =>
        name.replace(/^:/, ''),
      );
      const examples = examplesOf(metatype, names);
      assert.ok(names.length > 0, `${metatype.name} documents its properties`);
      const inputs: Record<string, string>[] = [{}, examples];
      for (const property of names) {
        for (const candidate of [...CANDIDATES, ...Object.values(examples)]) {
          inputs.push({ [property]: candidate }, { ...examples, [property]: candidate });
        }
      }
      for (const input of inputs) {
        const expected = await referenceDto(input, type, metatype);
        const actual = compiled({ ...input });
        assert.deepEqual(actual, expected, `${metatype.name} ${JSON.stringify(input)}`);
        compared += 1;
      }
    }
    assert.ok(compared > 1000, `${compared} inputs compared`);
  });
});
