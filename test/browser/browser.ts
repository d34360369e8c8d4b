import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { WEB_DIST } from '../../src/app.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { freePort } from '../helpers/cli.js';

/** Debian's Chromium (CI installs it); never a Playwright download. */
export const CHROMIUM_PATH = process.env.PORTICO_CHROMIUM || '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium) {
  console.warn(`browser tests SKIPPED: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set PORTICO_CHROMIUM)`);
}

export interface WebApp {
  t: TestApp;
  /** http://localhost:PORT, the same origin as the links in emails (PUBLIC_URL). */
  baseURL: string;
  close(): Promise<void>;
}

/** A real Portico serving the built web UI on a real port. */
export async function startWebApp(env: Record<string, string> = {}): Promise<WebApp> {
  if (!existsSync(join(WEB_DIST, 'index.html'))) {
    throw new Error(`The web UI is not built (no ${WEB_DIST}/index.html): run npm test, or node node_modules/vite/bin/vite.js build --config web/vite.config.ts`);
  }
  // The port must be known before the app is built (it is in PUBLIC_URL, the origin of the
  // links in emails and of passkeys), so it is picked free and then listened on. In between,
  // another test process may take it (a `portico serve` started by a CLI test binds the port
  // it was given a second later): then build the app again on another port.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const baseURL = `http://localhost:${port}`;
    const t = await createTestApp({ web: true, env: { PUBLIC_URL: baseURL, ...env } });
    try {
      await t.app.listen({ port, host: '127.0.0.1' });
      return { t, baseURL, close: () => t.close() };
    } catch (error) {
      await t.close();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
}

/** What a browser test file runs against: its own web app and Chromium. */
export interface BrowserSuite {
  web: WebApp;
  browser: Browser;
}

/** Starts a web app and Chromium before the tests of the enclosing describe, and closes both after. */
export function useWebAppAndBrowser(): BrowserSuite {
  const suite = {} as BrowserSuite;
  beforeAll(async () => {
    suite.web = await startWebApp();
    suite.browser = await launchBrowser();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.web?.close();
  });
  return suite;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and CSP violations seen so far. */
  problems: string[];
}

/**
 * A page in its own context (its own cookies: one person), recording every console error,
 * page error and Content-Security-Policy violation.
 */
export async function openPage(browser: Browser, baseURL: string): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1200, height: 850 } });
  context.setDefaultTimeout(10_000);
  // Init scripts run through the DevTools protocol, so the page's CSP does not apply to this one.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
  return { page, context, problems };
}

/** Saves a full-page screenshot when PORTICO_SCREENSHOT_DIR is set (to look at the pages by eye). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.PORTICO_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Records the `code` of every 403 the page was given. */
export function watchDenials(w: WatchedPage): string[] {
  const denials: string[] = [];
  w.page.on('response', async (r) => {
    if (r.status() === 403) denials.push((await r.json()).code);
  });
  return denials;
}
