import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { npmIn, packClient, type PackedClient } from '../support/client-package.js';
import { repoRoot, runCommand } from '../support/repository.js';

/**
 * What a frontend project does with the client: it installs the tarball (nothing of this
 * repository around it), compiles against the package's types under strict tsc, and runs it.
 */
const USAGE = `
import { createMentorStatusClient, ProblemError, type components, type ListItem } from '@mentor-status/client';

type Mentor = ListItem<'/api/v1/chapters/{chapter_id}/mentors/active'>;
const sent: Request[] = [];
const client = createMentorStatusClient('http://mentor-status.test', {
  apiKey: 'key-of-the-frontend',
  retry: { maxAttempts: 2, maxElapsedMs: 1_000, baseDelayMs: 0 },
  fetch: async (request) => {
    sent.push(request);
    if (request.method === 'GET') {
      const page = { data: [{ mentor_id: 'mntr_1', full_name: 'Sarah Chen', chapter_id: 'chpt_03AZ', status: 'active', is_eligible_for_assignment: true }], pagination: { page: 1, limit: 20, total: 1 } };
      return Response.json(page);
    }
    const problem = { type: '/problems/no-op-transition', title: 'Conflict', status: 409, detail: 'already paused', instance: '/api/v1/mentor-statuses' };
    return Response.json(problem, { status: 409, headers: { 'content-type': 'application/problem+json' } });
  },
});

const body: components['schemas']['CreateMentorStatusDto'] = { mentor_id: 'mntr_1', status: 'paused', reason: 'Leave', changed_by: 'frontend' };
const { data, error } = await client.POST('/api/v1/mentor-statuses', { body });
let outcome: string;
if (error instanceof ProblemError && error.status === 409) outcome = \`\${error.type}: \${error.detail}\`;
else outcome = data?.mentor_status_id ?? 'none';

const names: string[] = [];
for await (const mentor of client.items('/api/v1/chapters/{chapter_id}/mentors/active', { params: { path: { chapter_id: 'chpt_03AZ' } } })) {
  const typed: Mentor = mentor;
  names.push(typed.full_name);
}

// Compiled, never called: each line must be a type error.
export function mistakes() {
  // @ts-expect-error not a path of the API
  void client.GET('/api/v1/nowhere');
  // @ts-expect-error a status the API does not have
  void client.POST('/api/v1/mentor-statuses', { body: { ...body, status: 'retired' } });
  // @ts-expect-error the chapter is a required path parameter
  void client.items('/api/v1/chapters/{chapter_id}/mentors/active');
}

console.log(JSON.stringify({ outcome, names, headers: sent.map((request) => [request.method, request.headers.get('authorization'), request.headers.has('idempotency-key')]) }));
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022', 'dom', 'dom.iterable'],
    types: [],
    skipLibCheck: false,
    outDir: 'out',
  },
  files: ['usage.ts'],
};

describe('the client package, packed and installed into an empty project', () => {
  let dir: string;
  let packed: PackedClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mss-client-package-'));
    packed = await packClient(dir);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships its build, its schema, its README and nothing else', () => {
    for (const file of packed.files) assert.match(file, /^(package\.json|README\.md|schema\.d\.ts|dist\/[a-z-]+\.(js|d\.ts))$/);
    for (const entry of ['dist/index.js', 'dist/index.d.ts', 'dist/react.js', 'dist/react.d.ts', 'schema.d.ts', 'README.md']) {
      assert.ok(packed.files.includes(entry), `${entry} is missing from the package`);
    }
  });

  it('installs with typescript, compiles a usage file under strict tsc and runs it', { timeout: 300_000 }, async () => {
    const project = join(dir, 'frontend');
    const { devDependencies } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'frontend', private: true, type: 'module' }));
    const installed = await npmIn(project, ['install', packed.tarball, `typescript@${devDependencies.typescript}`]);
    assert.equal(installed.code, 0, `npm install failed:\n${installed.stdout}${installed.stderr}`);

    await writeFile(join(project, 'usage.ts'), USAGE);
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    const compiled = await runCommand(join(project, 'node_modules/.bin/tsc'), ['-p', project], {}, project);
    assert.equal(compiled.code, 0, `tsc failed:\n${compiled.stdout}${compiled.stderr}`);

    const ran = await runCommand(process.execPath, [join(project, 'out/usage.js')], {}, project);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), {
      outcome: '/problems/no-op-transition: already paused',
      names: ['Sarah Chen'],
      headers: [
        ['POST', 'Bearer key-of-the-frontend', true],
        ['GET', null, false],
      ],
    });
  });
});
