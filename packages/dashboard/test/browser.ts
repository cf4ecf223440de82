/**
 * Headless Chromium for the page tests: Debian's `chromium` package (scripts/chromium.sh installs it)
 * driven by playwright-core, no browser download. A missing Chromium fails the test with what to do.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.ZOCALO_CHROMIUM ?? '/usr/bin/chromium';

/** Where the tests leave their screenshots (artefacts; docs/images holds the chosen ones). */
export const SCREENSHOTS = process.env.ZOCALO_DASHBOARD_SCREENSHOTS ?? join(__dirname, '..', 'screenshots');

export interface TestBrowser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: run scripts/chromium.sh (apt-get install -y chromium) ` +
        'or point ZOCALO_CHROMIUM at a Chromium binary',
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'zocalo-dashboard-chromium-'));
  // The machine's network is closed: nothing of Chromium's own may try to reach out.
  // A fresh profile each run (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Save a screenshot of the page as `<name>.png` among the artefacts. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
