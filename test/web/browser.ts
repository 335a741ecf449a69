// Support for the browser tests: the built web app (built here when missing or older than its
// sources, as on a fresh clone), a real headless Chromium from the npm package
// @sparticuz/chromium driven by puppeteer-core, axe-core run inside each page, and helpers to fill
// React's inputs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import axe from 'axe-core';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { tmpdir } from 'node:os';

const ROOT = resolve(__dirname, '../..');
export const WEB_DIST = join(ROOT, 'web/dist');
// The README's screenshots: rewritten only on request (UPDATE_SCREENSHOTS=1), so a test run leaves
// the tree as it was; otherwise they go to a scratch folder (still taken, so a broken screen fails).
export const SCREENS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs/screens') : mkdtempSync(join(tmpdir(), 'loyalty-screens-'));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds web/ into web/dist unless a build newer than every source is there already. */
export function ensureWebBuild(): void {
  const index = join(WEB_DIST, 'index.html');
  const sources = Math.max(newestSource(join(ROOT, 'web/src')), statSync(join(ROOT, 'web/index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'web', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

/** A page with its script errors collected (a test fails on any). */
export async function openPage(browser: Browser, url: string, viewport = DESKTOP): Promise<Page & { errors: string[] }> {
  const page = (await browser.newPage()) as Page & { errors: string[] };
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.setViewport(viewport);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return page;
}

/** Sets an input's value the way typing does, so React's onChange sees it (date inputs too). */
export async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.waitForSelector(selector);
  await page.$eval(
    selector,
    (el, v) => {
      const input = el as HTMLInputElement;
      const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')!.set!;
      setter.call(input, v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

/** Clicks the button (or tab) whose text is exactly `text`. */
export async function clickButton(page: Page, text: string): Promise<void> {
  const button = await page.waitForSelector(`::-p-xpath(//button[normalize-space(.)=${JSON.stringify(text)}])`);
  await button!.click();
}

export async function waitForText(page: Page, text: string | RegExp, timeout = 15_000): Promise<void> {
  const source = typeof text === 'string' ? { s: text } : { r: text.source, f: text.flags };
  await page.waitForFunction(
    (t: { s?: string; r?: string; f?: string }) => (t.s ? document.body.innerText.includes(t.s) : new RegExp(t.r!, t.f).test(document.body.innerText)),
    { timeout },
    source,
  );
}

const AXE_SOURCE: string = axe.source;

/** axe-core's serious and critical violations on the page as it is now ("id: target" lines). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o?: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } })
      .axe;
    const result = await axe.run({ resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.targets.slice(0, 3).join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: false });
}
