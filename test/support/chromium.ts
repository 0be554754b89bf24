import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** The `skip` of a browser suite: outside CI a machine without Chromium skips it, saying why; under CI=true it runs, and fails without Chromium. */
export const skipWithoutChromium =
  !existsSync(CHROMIUM) && process.env.CI !== 'true'
    ? `no Chromium at ${CHROMIUM} (apt-get install chromium); under CI=true this test runs and fails without it`
    : false;

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

export interface Chromium {
  browser: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile of its own, removed on close. */
export async function launchChromium(): Promise<Chromium> {
  assert.ok(existsSync(CHROMIUM), `CI=true needs Chromium at ${CHROMIUM}: .ci/run installs it with apt-get`);
  const profileDir = await mkdtemp(join(tmpdir(), 'mss-chromium-'));
  const browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
