import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { DEMO_CHAPTER_ID, seedDemoData } from '../../src/database/seed/demo-data.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const CHROMIUM = '/usr/bin/chromium';
const onCi = process.env.CI === 'true';
const skip =
  !existsSync(CHROMIUM) && !onCi ? `no Chromium at ${CHROMIUM} (apt-get install chromium); under CI=true this test runs and fails without it` : false;

// The machine has no network: these keep Chromium from trying to reach Google's services.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('Swagger UI in a real browser', { skip }, () => {
  let t: TestApp;
  let baseUrl: string;
  let profileDir: string;
  let browser: BrowserContext;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `CI=true needs Chromium at ${CHROMIUM}: .ci/run installs it with apt-get`);
    t = await startTestApp();
    await seedDemoData(t.app.get(DataSource));
    await t.app.listen(0, '127.0.0.1');
    const address = t.http.address();
    assert.ok(typeof address === 'object' && address !== null);
    baseUrl = `http://127.0.0.1:${address.port}`;
    profileDir = await mkdtemp(join(tmpdir(), 'mss-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it("runs GET /api/v1/chapters/{chapter_id}/mentors/active with Try it out and shows the chapter's demo mentor", { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${baseUrl}/docs`);

    const operation = page.locator('#operations-chapter-mentors-listActiveChapterMentors');
    await operation.locator('.opblock-summary-control').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.locator('tr[data-param-name="chapter_id"] input').fill(DEMO_CHAPTER_ID);
    await operation.getByRole('button', { name: 'Execute' }).click();

    const answer = operation.locator('.live-responses-table tr.response');
    await answer.waitFor();
    assert.equal((await answer.locator('.response-col_status').innerText()).trim(), '200');
    const body = await answer.locator('.response-col_description .microlight').first().innerText();
    assert.match(body, /"full_name": "Sarah Chen"/);
    assert.match(await operation.locator('.request-url').innerText(), new RegExp(`/api/v1/chapters/${DEMO_CHAPTER_ID}/mentors/active`));
    assert.deepEqual(pageErrors, []);
  });
});
