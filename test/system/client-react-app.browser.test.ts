import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page, Request } from 'playwright-core';
import { Sql } from '../../src/database/sql.js';
import { DEMO_CHAPTER_ID, DEMO_MENTORS, seedDemoData } from '../../src/database/seed/demo-data.js';
import { type Chromium, launchChromium, skipWithoutChromium } from '../support/chromium.js';
import { npmIn, packClient } from '../support/client-package.js';
import { AUDIENCE, BROWSER_CLIENT, type OidcIssuer, startOidcIssuer } from '../support/oidc-issuer.js';
import { repoRoot, runCommand } from '../support/repository.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const APP_DIR = join(repoRoot, 'test/browser-app');
const lowerCased = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The claims of a bearer credential that is a JWT (three base64url parts), or undefined for anything else. */
const jwtClaims = (authorization: string | undefined): Record<string, unknown> | undefined => {
  const parts = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization ?? '');
  return parts ? (JSON.parse(Buffer.from(parts[2], 'base64url').toString()) as Record<string, unknown>) : undefined;
};

/**
 * test/browser-app with the packed client installed, type-checked and built by Vite into `outDir`.
 * Its lockfile is installed with `npm ci` once, and again only when the lockfile changes.
 */
async function buildApp(tarball: string, outDir: string): Promise<void> {
  const lockHash = createHash('sha256')
    .update(await readFile(join(APP_DIR, 'package-lock.json')))
    .digest('hex');
  const marker = join(APP_DIR, 'node_modules/.installed-lock-sha256');
  if (!existsSync(marker) || (await readFile(marker, 'utf8')) !== lockHash) {
    const ci = await npmIn(APP_DIR, ['ci']);
    assert.equal(ci.code, 0, `npm ci in test/browser-app failed:\n${ci.stdout}${ci.stderr}`);
    await writeFile(marker, lockHash);
  }
  const installed = await npmIn(APP_DIR, ['install', '--no-save', tarball]);
  assert.equal(installed.code, 0, `npm install of the client failed:\n${installed.stdout}${installed.stderr}`);
  const checked = await runCommand(join(APP_DIR, 'node_modules/.bin/tsc'), ['-p', APP_DIR], {}, APP_DIR);
  assert.equal(checked.code, 0, `tsc of test/browser-app failed:\n${checked.stdout}${checked.stderr}`);
  const built = await runCommand(join(APP_DIR, 'node_modules/.bin/vite'), ['build', '--outDir', outDir, '--emptyOutDir'], {}, APP_DIR);
  assert.equal(built.code, 0, `vite build failed:\n${built.stdout}${built.stderr}`);
}

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** The built page on a loopback port of its own (another origin than the API's), with its runtime configuration at /config.json. */
async function serveApp(outDir: string, config: () => unknown): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://app').pathname;
    if (path === '/config.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config()));
      return;
    }
    const file = join(outDir, normalize(path === '/' ? '/index.html' : path));
    readFile(file).then(
      (content) => response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(content),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('a React app on the packed client, built with Vite, in a real browser', { skip: skipWithoutChromium }, () => {
  const sarah = DEMO_MENTORS[0];
  // Two coordinators, each signing in at the issuer as themselves.
  const ana = 'coord_ana';
  const ben = 'coord_ben';
  let dir: string;
  let app: Server;
  let appOrigin: string;
  let idp: OidcIssuer;
  let t: TestApp;
  let chromium: Chromium;
  const pageErrors: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mss-browser-app-'));
    const { tarball } = await packClient(dir);
    const outDir = join(dir, 'site');
    await buildApp(tarball, outDir);
    let apiBaseUrl = '';
    const served = await serveApp(outDir, () => ({ apiBaseUrl, issuer: idp.issuer, clientId: BROWSER_CLIENT, audience: AUDIENCE, chapterId: DEMO_CHAPTER_ID }));
    app = served.server;
    // The app is redirected back to its own origin, from where it also calls the token endpoint.
    idp = await startOidcIssuer({ clients: [], redirectUris: [`${served.origin}/`] });
    t = await startTestApp({ CORS_ORIGINS: served.origin, OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE });
    await seedDemoData(t.app.get(Sql));
    await t.app.listen(0, '127.0.0.1');
    apiBaseUrl = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
    chromium = await launchChromium();
    chromium.browser.on('weberror', (error) => pageErrors.push(error.error().message));
    appOrigin = served.origin;
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
    await idp?.stop();
    if (app) await new Promise((resolve) => app.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * A page of the app, `user` signed in on the issuer's login and consent pages, its active-mentor
   * list shown, and the requests it sends to the API.
   */
  async function openApp(user: string): Promise<{ page: Page; requests: Request[] }> {
    // No session at the issuer left from another coordinator.
    await chromium.browser.clearCookies();
    const page = await chromium.browser.newPage();
    const requests: Request[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/')) requests.push(request);
    });
    // The app leaves for the issuer as soon as it has its configuration.
    await page.goto(appOrigin, { waitUntil: 'commit' });
    await page.locator('input[name="login"]').fill(user);
    await page.locator('input[name="password"]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('list', { name: 'Active mentors' }).waitFor();
    assert.equal(page.url(), `${appOrigin}/`);
    return { page, requests };
  }

  it("lists the chapter's active mentors through the hooks, pauses one, and shows the problem when the pause is repeated", { timeout: 300_000 }, async () => {
    const first = await openApp(ana);
    // A second coordinator, with the same list open, pauses the same mentor after the first one did.
    const second = await openApp(ben);
    const mentors = first.page.getByRole('list', { name: 'Active mentors' }).getByRole('listitem');
    assert.deepEqual(await mentors.locator('span').allInnerTexts(), ['Amara Diallo', 'Sarah Chen']);

    // Playwright does not report CORS preflights; Chromium's DevTools protocol does.
    const cdp = await chromium.browser.newCDPSession(first.page);
    await cdp.send('Network.enable');
    const preflights = new Map<string, { headers: Record<string, string>; status?: number; allowed?: Record<string, string> }>();
    cdp.on('Network.requestWillBeSent', ({ requestId, request }) => {
      if (request.method === 'OPTIONS') preflights.set(requestId, { headers: lowerCased(request.headers) });
    });
    const preflightAnswered = new Promise<void>((resolve) =>
      cdp.on('Network.responseReceived', ({ requestId, response }) => {
        const preflight = preflights.get(requestId);
        if (!preflight) return;
        Object.assign(preflight, { status: response.status, allowed: lowerCased(response.headers) });
        resolve();
      }),
    );
    const row = first.page.locator(`li[data-mentor-id="${sarah.mentorId}"]`);
    await row.getByLabel('Reason').fill('Parental leave');
    await row.getByRole('button', { name: 'Pause' }).click();
    const paused = first.page.getByRole('status').filter({ hasText: 'Sarah Chen is paused: Parental leave' });
    await paused.or(row.getByRole('alert')).waitFor();
    if (!(await paused.isVisible())) assert.fail(`the pause failed: ${await row.getByRole('alert').innerText()}`);
    // The mutation invalidated the list: the hooks fetched it again, without the paused mentor.
    await row.waitFor({ state: 'detached' });
    assert.deepEqual(await mentors.locator('span').allInnerTexts(), ['Amara Diallo']);

    await preflightAnswered;
    const [preflight] = [...preflights.values()];
    assert.equal(preflights.size, 1);
    assert.equal(preflight?.headers['access-control-request-method'], 'POST');
    assert.deepEqual(preflight.headers['access-control-request-headers']?.split(',').sort(), ['authorization', 'content-type', 'idempotency-key']);
    assert.equal(preflight.status, 204);
    assert.equal(preflight.allowed?.['access-control-allow-origin'], appOrigin);

    const staleRow = second.page.locator(`li[data-mentor-id="${sarah.mentorId}"]`);
    await staleRow.getByLabel('Reason').fill('Parental leave');
    await staleRow.getByRole('button', { name: 'Pause' }).click();
    const alert = staleRow.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /^409 Conflict: Mentor 'mntr_01HX4V2K8P' is already paused/);

    // Reads go without a credential; each write has its coordinator's access token and an Idempotency-Key of its own.
    const reads = [...first.requests, ...second.requests].filter((request) => request.method() === 'GET');
    assert.ok(reads.length >= 3);
    for (const read of reads) assert.equal((await read.allHeaders()).authorization, undefined);
    const writes = [...first.requests, ...second.requests].filter((request) => request.method() === 'POST');
    assert.equal(writes.length, 2);
    const writeHeaders = await Promise.all(writes.map((write) => write.allHeaders()));
    for (const [index, headers] of writeHeaders.entries()) {
      const claims = jwtClaims(headers.authorization);
      assert.ok(claims, `a write's Authorization is not a bearer JWT: ${headers.authorization}`);
      assert.deepEqual(
        { iss: claims.iss, aud: claims.aud, sub: claims.sub, client_id: claims.client_id },
        { iss: idp.issuer, aud: AUDIENCE, sub: [ana, ben][index], client_id: BROWSER_CLIENT },
      );
      assert.match(headers['idempotency-key'] ?? '', UUID_V4);
    }
    assert.notEqual(writeHeaders[0]?.['idempotency-key'], writeHeaders[1]?.['idempotency-key']);
    assert.deepEqual(pageErrors, []);

    // The pause is the signed-in person's: its author filled from the token, and the token's subject recorded as who wrote it.
    const { rows: records } = await t.db.query(
      `SELECT status, reason, changed_by, recorded_by_kind, recorded_by_id, recorded_by_client_id
         FROM mentor_status_records WHERE mentor_id = $1 AND deleted_at IS NULL ORDER BY changed_at DESC LIMIT 1`,
      [sarah.mentorId],
    );
    assert.deepEqual(records, [
      { status: 'paused', reason: 'Parental leave', changed_by: ana, recorded_by_kind: 'token', recorded_by_id: ana, recorded_by_client_id: BROWSER_CLIENT },
    ]);
    const { rows: written } = await t.db.query(`SELECT count(*)::int AS count FROM mentor_status_records WHERE recorded_by_id IN ($1, $2)`, [ana, ben]);
    assert.deepEqual(written, [{ count: 1 }]);
    // Both writes crossed with their Idempotency-Keys: the preflight let both headers through.
    const { rows: keys } = await t.db.query<{ key: string; response_status: number }>(
      `SELECT key, response_status FROM idempotency_keys WHERE key = ANY($1) ORDER BY reserved_at`,
      [writeHeaders.map((headers) => headers['idempotency-key'])],
    );
    assert.deepEqual(
      keys.map((key) => key.response_status),
      [201, 409],
    );
    assert.deepEqual(
      keys.map((key) => key.key),
      writeHeaders.map((headers) => headers['idempotency-key']),
    );
  });
});
