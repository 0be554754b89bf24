import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { Sql } from '../../src/database/sql.js';
import { DEMO_CHAPTER_ID, DEMO_MENTORS, seedDemoData } from '../../src/database/seed/demo-data.js';
import { type Chromium, launchChromium, skipWithoutChromium } from '../support/chromium.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** The answer that "Execute" shows: its status and body. An earlier answer is cleared first, so that it cannot be read for this one. */
async function execute(operation: Locator): Promise<{ status: string; body: string }> {
  const answer = operation.locator('.live-responses-table tr.response');
  const clear = operation.getByRole('button', { name: 'Clear' });
  if (await clear.isVisible()) {
    await clear.click();
    await answer.waitFor({ state: 'detached' });
  }
  await operation.getByRole('button', { name: 'Execute' }).click();
  await answer.waitFor();
  const status = (await answer.locator('.response-col_status').innerText()).trim();
  const body = await answer.locator('.response-col_description .microlight').first().innerText();
  return { status, body };
}

async function tryItOut(page: Page, operationId: string): Promise<Locator> {
  const operation = page.locator(`#operations-${operationId}`);
  await operation.locator('.opblock-summary-control').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  return operation;
}

describe('Swagger UI in a real browser', { skip: skipWithoutChromium }, () => {
  const apiKey = randomBytes(24).toString('base64url');
  let t: TestApp;
  let baseUrl: string;
  let chromium: Chromium;
  const pageErrors: string[] = [];

  before(async () => {
    t = await startTestApp({ API_KEYS: `swagger-explorer:${apiKey}` });
    await seedDemoData(t.app.get(Sql));
    await t.app.listen(0, '127.0.0.1');
    const address = t.http.address();
    assert.ok(typeof address === 'object' && address !== null);
    baseUrl = `http://127.0.0.1:${address.port}`;
    chromium = await launchChromium();
    chromium.browser.on('weberror', (error) => pageErrors.push(error.error().message));
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  it("runs GET /api/v1/chapters/{chapter_id}/mentors/active with Try it out and shows the chapter's demo mentor", { timeout: 120_000 }, async () => {
    const page = await chromium.browser.newPage();
    await page.goto(`${baseUrl}/docs`);
    const operation = await tryItOut(page, 'chapter-mentors-listActiveChapterMentors');
    await operation.locator('tr[data-param-name="chapter_id"] input').fill(DEMO_CHAPTER_ID);
    const { status, body } = await execute(operation);
    assert.equal(status, '200');
    assert.match(body, /"full_name": "Sarah Chen"/);
    assert.match(await operation.locator('.request-url').innerText(), new RegExp(`/api/v1/chapters/${DEMO_CHAPTER_ID}/mentors/active`));
    assert.deepEqual(pageErrors, []);
  });

  it('writes with Try it out: 401 without a key, 201 once "Authorize" has the API key, which it keeps for the next visit', { timeout: 120_000 }, async () => {
    const sarah = DEMO_MENTORS[0];
    const page = await chromium.browser.newPage();
    await page.goto(`${baseUrl}/docs`);
    // The body is the contract's example: Sarah Chen, active in the demo data, paused for personal leave.
    let operation = await tryItOut(page, 'mentor-statuses-createMentorStatus');
    assert.match(await operation.locator('textarea.body-param__text').inputValue(), new RegExp(`"mentor_id": "${sarah.mentorId}"`));

    const refused = await execute(operation);
    assert.equal(refused.status, '401');
    assert.match(refused.body, /"type": "\/problems\/unauthorized"/);
    assert.match(refused.body, /Writes need an API key/);

    await page.locator('.auth-wrapper').getByRole('button', { name: 'Authorize' }).click();
    const dialog = page.locator('.modal-ux');
    await dialog.locator('input').fill(apiKey);
    await dialog.getByRole('button', { name: 'Apply credentials' }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const created = await execute(operation);
    assert.equal(created.status, '201');
    assert.match(created.body, /"mentor_status_id": "msr_[0-9A-Z]{26}"/);
    const { rows } = await t.db.query(
      `SELECT status, reason, changed_by FROM mentor_status_records WHERE mentor_id = $1 AND deleted_at IS NULL ORDER BY changed_at DESC LIMIT 1`,
      [sarah.mentorId],
    );
    assert.deepEqual(rows, [{ status: 'paused', reason: 'Personal leave', changed_by: 'user_coord_99XZ' }]);

    // persistAuthorization: on /docs opened anew the same write is sent with the key again, and is now a no-op.
    const later = await chromium.browser.newPage();
    await later.goto(`${baseUrl}/docs`);
    operation = await tryItOut(later, 'mentor-statuses-createMentorStatus');
    const repeated = await execute(operation);
    assert.equal(repeated.status, '409');
    assert.match(repeated.body, /"type": "\/problems\/no-op-transition"/);
    assert.deepEqual(pageErrors, []);
  });
});
