/**
 * Headless Chromium for the UI tests: Debian's own build, driven with playwright-core (no browser
 * download). A fresh profile per launch; every request that leaves 127.0.0.1 is refused and
 * remembered, and so is every script error, so a test can assert the UI needs neither.
 */
import { constants } from "node:fs";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.TOLLGATE_CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors in the page. */
  errors: string[];
  /** Requests the page tried to send anywhere but 127.0.0.1 (all refused). */
  external: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<TestBrowser> {
  await access(CHROMIUM, constants.X_OK).catch(() => {
    throw new Error(
      `the UI tests need Chromium at ${CHROMIUM}: install Debian's chromium package ` +
        "(apt-get install chromium, or run scripts/browser/ensure-chromium.sh as root), " +
        "or point TOLLGATE_CHROMIUM at a Chromium binary",
    );
  });
  const profile = await mkdtemp(join(tmpdir(), "tollgate-chromium-"));
  // launchPersistentContext passes --user-data-dir itself: the fresh profile made above.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const errors: string[] = [];
  const external: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.protocol === "about:" || url.hostname === "127.0.0.1")
      return route.continue();
    external.push(url.href);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return {
    page,
    context,
    errors,
    external,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
