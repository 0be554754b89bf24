import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, runCommand } from '../support/repository.js';

const bin = (name: string) => join(repoRoot, 'node_modules/.bin', name);
const document = join(repoRoot, 'openapi.json');

/**
 * The generators frontend teams run on openapi.json themselves, each with its defaults (only the
 * client and plugins named), from the installed packages: nothing is fetched.
 */
const GENERATORS: Record<string, [command: string, args: (dir: string) => string[]]> = {
  'orval (fetch)': [bin('orval'), (dir) => ['--input', document, '--output', join(dir, 'orval-fetch/api.ts'), '--client', 'fetch']],
  'orval (React Query)': [bin('orval'), (dir) => ['--input', document, '--output', join(dir, 'orval-react-query/api.ts'), '--client', 'react-query']],
  '@hey-api/openapi-ts (fetch, TanStack Query, zod)': [
    bin('openapi-ts'),
    (dir) => ['--input', document, '--output', join(dir, 'hey-api'), '--plugins', '@hey-api/client-fetch', '@hey-api/sdk', '@tanstack/react-query', 'zod'],
  ],
  'swagger-typescript-api': [bin('swagger-typescript-api'), (dir) => ['generate', '--path', document, '--output', join(dir, 'swagger-typescript-api')]],
};

/**
 * What a frontend writes against each generated client: a pause, the audit log filtered by status,
 * the shared enums by their names. Compiled with --strict; a wrong type, name or path fails it.
 */
const USAGE: Record<string, string> = {
  'orval-fetch.ts': `
    import { createMentorStatus, listMentorStatuses, MentorStatus, type EventType, type MentorStatusRecordDto, type WebhookSubscriptionDto } from './orval-fetch/api';

    export async function pauseAndList(mentorId: string): Promise<MentorStatus[]> {
      const created = await createMentorStatus({ mentor_id: mentorId, status: MentorStatus.paused, reason: 'Personal leave', changed_by: 'user_coord_99XZ' });
      if (created.status !== 201) throw new Error(created.data.title);
      const listed = await listMentorStatuses({ mentor_id: mentorId, status: MentorStatus.paused });
      return listed.status === 200 ? listed.data.data.map((record: MentorStatusRecordDto) => record.status) : [];
    }
    export const subscribed = (subscription: WebhookSubscriptionDto): EventType[] => subscription.event_types ?? [];
  `,
  'orval-react-query.ts': `
    import { useCreateMentorStatus, useListMentorStatuses, MentorStatus, type MentorStatusRecordDto } from './orval-react-query/api';

    export function usePausedMentors(): MentorStatusRecordDto[] {
      const { data } = useListMentorStatuses({ status: MentorStatus.paused });
      return data?.status === 200 ? data.data.data : [];
    }
    export function usePause(): (mentorId: string) => void {
      const { mutate } = useCreateMentorStatus();
      return (mentorId) => mutate({ data: { mentor_id: mentorId, status: 'paused', reason: 'Personal leave', changed_by: 'user_coord_99XZ' } });
    }
  `,
  'hey-api.ts': `
    import { useQuery } from '@tanstack/react-query';
    import { listMentorStatusesOptions } from './hey-api/@tanstack/react-query.gen';
    import { createMentorStatus, listMentorStatuses } from './hey-api/sdk.gen';
    import type { EventType, MentorStatus, WebhookSubscriptionDto } from './hey-api/types.gen';
    import { zCreateMentorStatusDto, zMentorStatus } from './hey-api/zod.gen';

    export async function pauseAndList(mentorId: string): Promise<MentorStatus[]> {
      const body = zCreateMentorStatusDto.parse({ mentor_id: mentorId, status: 'paused', reason: 'Personal leave', changed_by: 'user_coord_99XZ' });
      const { error } = await createMentorStatus({ body });
      if (error) throw new Error(error.title);
      const { data } = await listMentorStatuses({ query: { mentor_id: mentorId, status: zMentorStatus.parse('paused') } });
      return (data?.data ?? []).map((record) => record.status);
    }
    export const usePausedMentors = () => useQuery(listMentorStatusesOptions({ query: { status: 'paused' } }));
    export const subscribed = (subscription: WebhookSubscriptionDto): EventType[] => subscription.event_types ?? [];
  `,
  'swagger-typescript-api.ts': `
    import { Api, MentorStatus, type EventType, type WebhookSubscriptionDto } from './swagger-typescript-api/Api';

    export async function pausedStatuses(api: Api<unknown>): Promise<MentorStatus[]> {
      await api.api.createMentorStatus({ mentor_id: 'mntr_01HX4V2K8P', status: MentorStatus.Paused, reason: 'Personal leave', changed_by: 'user_coord_99XZ' });
      const { data } = await api.api.listMentorStatuses({ status: MentorStatus.Paused });
      return data.data.map((record) => record.status);
    }
    export const subscribed = (subscription: WebhookSubscriptionDto): EventType[] => subscription.event_types ?? [];
  `,
};

/** The URL swagger-typescript-api's client requests with its default base URL, as a browser's fetch would be given it. */
const REQUESTED_URL = `
  import { Api, MentorStatus } from './swagger-typescript-api/Api.ts';

  let requested = '';
  const customFetch = async (input: RequestInfo | URL) => {
    requested = String(input);
    return new Response(JSON.stringify({ data: [], pagination: { page: 1, limit: 20, total: 0 } }), { headers: { 'content-type': 'application/json' } });
  };
  await new Api({ customFetch }).api.listMentorStatuses({ status: MentorStatus.Paused });
  console.log(requested);
`;

/**
 * Every example of a request or answer body, parsed by the zod schema hey-api generated for it:
 * prints the number checked and the ones refused.
 */
const ZOD_PARSES_EXAMPLES = `
  import { readFileSync } from 'node:fs';
  import * as generated from './hey-api/zod.gen.ts';

  const document = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const refused = [];
  let checked = 0;
  for (const [path, pathItem] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(pathItem)) {
      const bodies = [['request', operation.requestBody ?? {}], ...Object.entries(operation.responses ?? {})];
      for (const [status, { content = {} }] of bodies) {
        for (const [type, media] of Object.entries(content)) {
          const name = media.schema?.$ref?.split('/').pop();
          const examples = [...('example' in media ? [media.example] : []), ...Object.values(media.examples ?? {}).map((example) => example.value)];
          for (const example of name ? examples : []) {
            checked++;
            const parsed = generated['z' + name].safeParse(example);
            if (!parsed.success) refused.push(method + ' ' + path + ' ' + status + ' ' + type + ': ' + parsed.error.message);
          }
        }
      }
    }
  }
  console.log(JSON.stringify({ checked, refused }));
`;

describe('clients generated from openapi.json by the generators frontends use', () => {
  let dir: string;
  before(
    async () => {
      // Under the repository, so that the generated code finds the installed @tanstack/react-query and zod.
      await mkdir(join(repoRoot, 'build'), { recursive: true });
      dir = await mkdtemp(join(repoRoot, 'build', 'client-generators-'));
      // orval writes React Query hooks for the version the project's package.json names.
      await writeFile(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module', dependencies: { '@tanstack/react-query': '^5.0.0' } }));
      const generated = await Promise.all(
        Object.entries(GENERATORS).map(async ([name, [command, args]]) => ({ name, ...(await runCommand(command, args(dir), {}, dir)) })),
      );
      for (const { name, code, stdout, stderr } of generated) assert.equal(code, 0, `${name} failed:\n${stdout}${stderr}`);
    },
    { timeout: 180_000 },
  );
  after(() => rm(dir, { recursive: true, force: true }));

  it('compile with a strict usage of each', { timeout: 180_000 }, async () => {
    await Promise.all(Object.entries(USAGE).map(([file, source]) => writeFile(join(dir, file), source)));
    const compilerOptions = {
      strict: true,
      noEmit: true,
      target: 'es2022',
      module: 'esnext',
      moduleResolution: 'bundler',
      lib: ['es2022', 'dom'],
      skipLibCheck: true,
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: Object.keys(USAGE) }));
    const compiled = await runCommand(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], {}, dir);
    assert.equal(compiled.code, 0, `a generated client does not compile with its usage:\n${compiled.stdout}${compiled.stderr}`);
  });

  it("sends swagger-typescript-api's requests to the path on the same host, with its default base URL", { timeout: 60_000 }, async () => {
    const script = join(dir, 'requested-url.ts');
    await writeFile(script, REQUESTED_URL);
    const result = await runCommand(process.execPath, ['--experimental-transform-types', '--no-warnings', script], {}, dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '/api/v1/mentor-statuses?status=paused');
  });

  it('gives only request and answer examples that the zod schemas hey-api generates accept', { timeout: 60_000 }, async () => {
    const script = join(dir, 'zod-parses-examples.mjs');
    await writeFile(script, ZOD_PARSES_EXAMPLES);
    const result = await runCommand(process.execPath, ['--experimental-transform-types', '--no-warnings', script, document], {}, dir);
    assert.equal(result.code, 0, result.stderr);
    const { checked, refused } = JSON.parse(result.stdout) as { checked: number; refused: string[] };
    assert.ok(checked >= 15, `${checked} examples checked`);
    assert.deepEqual(refused, []);
  });
});
