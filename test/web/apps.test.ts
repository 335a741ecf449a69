// The web apps in a real headless Chromium against a real gateway serving the built app: the
// console, the till and the wallet working together, in Thai too, with axe-core on every screen.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { earn, newMember, newPartner, newReward, newStaff, type TestMember, type TestPartner, type TestStaff } from '../support/factories';
import { DESKTOP, PHONE, SCREENS, clickButton, ensureWebBuild, fill, launchBrowser, openPage, screenshot, seriousViolations, waitForText } from './browser';

let gw: TestGateway;
let browser: Browser;
let origin: string;
let cafe: TestPartner;
let airline: TestPartner;
let member: TestMember;
let card: string;
let staff: TestStaff;
const REWARD = 'Free kopi';

beforeAll(async () => {
  ensureWebBuild();
  mkdirSync(SCREENS, { recursive: true });
  gw = await startTestGateway();
  origin = gw.url.replace(/\/graphql$/, '');
  cafe = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
  airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.0003', burnRate: '35' });
  member = await newMember(gw, cafe);
  [{ card }] = await gw.sql<{ card: string }>('SELECT card_number AS card FROM member WHERE id = $1', [member.id]);
  await newReward(gw, cafe, { pointsCost: 20, name: REWARD });
  staff = await newStaff(gw, ['OWNER']);
  // Names that read well in the README's screenshots.
  await gw.sql('UPDATE partner SET name = $1 WHERE id = $2', ['Kopi Kita Café', cafe.id]);
  await gw.sql('UPDATE partner SET name = $1 WHERE id = $2', ['Nusantara Air', airline.id]);
  await gw.sql('UPDATE member SET display_name = $1 WHERE id = $2', ['Aisyah Rahman', member.id]);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

/** One GraphQL request as a partner app or script would send it. */
async function api<T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data: T; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

describe('web apps in a browser', () => {
  it('serves the app at / and the app paths, and keeps /graphql working', async () => {
    for (const path of ['/', '/console', '/till', '/wallet', '/wallet/anything']) {
      const res = await fetch(origin + path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
    }
    const gql = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ viewer }"}' });
    expect(await gql.json()).toEqual({ data: { viewer: 'anonymous' } });
  });

  it('staff sign in, set a future-dated rate, and see it on the rate chart', async () => {
    const page = await openPage(browser, `${origin}/console`);
    await fill(page, 'input[name=email]', staff.email);
    await fill(page, 'input[name=password]', staff.password);
    await clickButton(page, 'Sign in');
    await waitForText(page, 'Onboard a partner');
    await clickButton(page, 'Exchange rates');
    await page.waitForSelector('select[name=partner]');
    await page.select('select[name=partner]', cafe.id);
    await waitForText(page, 'New rate version');
    const when = new Date(Date.now() + 7 * 86_400_000);
    when.setSeconds(0, 0);
    // datetime-local takes the browser's local time; the browser and this process share a clock and zone.
    const local = new Date(when.getTime() - when.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await fill(page, 'input[name=earnRate]', '2.5');
    await fill(page, 'input[name=burnRate]', '0.02');
    await fill(page, 'input[name=effectiveFrom]', local);
    await clickButton(page, 'Set rate');
    await page.waitForSelector('[data-testid=rate-set]');
    // The chart plots the new version at its effectiveFrom (data-points mirrors what it draws).
    await page.waitForFunction(
      (iso: string) => {
        const chart = document.querySelector('.chart');
        const points = JSON.parse(chart?.getAttribute('data-points') ?? '[]') as { effectiveFrom: string; earnRate: string }[];
        return points.some((p) => Date.parse(p.effectiveFrom) === Date.parse(iso) && p.earnRate === '2.5');
      },
      { timeout: 15_000 },
      when.toISOString(),
    );
    await waitForText(page, 'Scheduled');
    expect(await page.$$eval('.chart svg path', (paths) => paths.length)).toBeGreaterThan(0);
    await screenshot(page, 'console-rates');
    expect(await seriousViolations(page)).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('a till earn shows in the wallet open in another page, without reloading; deep links leave the address bar', async () => {
    const wallet = await openPage(browser, `${origin}/wallet#token=${member.token}`, PHONE);
    await wallet.waitForSelector('[data-testid=balance]');
    expect(wallet.url()).toBe(`${origin}/wallet`);
    await waitForText(wallet, 'Live');
    expect(await wallet.$eval('[data-testid=balance]', (e) => e.textContent)).toBe('0');

    const till = await openPage(browser, `${origin}/till#key=${cafe.apiKey}`, PHONE);
    await till.waitForSelector('input[name=card]');
    expect(till.url()).toBe(`${origin}/till`);
    await fill(till, 'input[name=card]', card);
    await clickButton(till, 'Find');
    await till.waitForSelector('[data-testid=till-balance]');
    await fill(till, 'input[name=amount]', '25.00');
    await clickButton(till, 'Preview');
    await till.waitForSelector('[data-testid=till-preview]');
    expect(await till.$eval('[data-testid=till-preview]', (e) => e.textContent)).toContain('25');
    await clickButton(till, 'Record earn');
    await till.waitForSelector('[data-testid=till-earned]');
    await screenshot(till, 'till-earn');

    // The wallet page was never reloaded: the balance came over graphql-ws.
    await wallet.waitForFunction(() => document.querySelector('[data-testid=balance]')?.textContent === '25', { timeout: 15_000 });
    await screenshot(wallet, 'wallet-balance');
    expect(await seriousViolations(wallet)).toEqual([]);
    expect(await seriousViolations(till)).toEqual([]);
    expect([...wallet.errors, ...till.errors]).toEqual([]);
    await wallet.close();
    await till.close();
  });

  it('redeem in the wallet, fulfil the code at the till, and the wallet shows it fulfilled', { timeout: 60_000 }, async () => {
    const wallet = await openPage(browser, `${origin}/wallet#token=${member.token}`, PHONE);
    await clickButton(wallet, 'Rewards');
    const redeem = await wallet.waitForSelector(`button[aria-label="Redeem ${REWARD}"]`);
    await redeem!.click();
    await wallet.waitForSelector('[data-testid=new-code] img.qr');
    const code = await wallet.$eval('[data-testid=new-code] .mono', (e) => e.textContent!.trim());
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    await screenshot(wallet, 'wallet-code');
    expect(await seriousViolations(wallet)).toEqual([]);

    const till = await openPage(browser, `${origin}/till#key=${cafe.apiKey}`, PHONE);
    await clickButton(till, 'Redemption code');
    await fill(till, 'input[name=code]', code);
    await clickButton(till, 'Look up');
    await waitForText(till, 'Ready to use');
    await clickButton(till, 'Fulfil');
    await till.waitForSelector('[data-testid=fulfilled]');
    expect(await seriousViolations(till)).toEqual([]);

    await clickButton(wallet, 'My codes');
    await wallet.waitForSelector(`li[data-code="${code}"][data-status=FULFILLED]`, { timeout: 15_000 });

    // 5 points left: the reward (20) is no longer offered; asked for anyway, the API's error shows
    // with its code and message.
    await clickButton(wallet, 'Rewards');
    await waitForText(wallet, 'No rewards to show.');
    await wallet.click('input[type=checkbox]');
    await (await wallet.waitForSelector(`button[aria-label="Redeem ${REWARD}"]`))!.click();
    await wallet.waitForSelector('[role=alert]');
    const alert = await wallet.$eval('[role=alert]', (e) => (e as HTMLElement).innerText);
    expect(alert).toContain('Not enough points');
    expect(alert).toContain('INSUFFICIENT_POINTS');
    expect(alert).toContain('This costs 20 points; 5 available');
    expect([...wallet.errors, ...till.errors]).toEqual([]);
    await wallet.close();
    await till.close();
  });

  it('the wallet resumes with `after` when its connection drops, and gets the event it missed', { timeout: 60_000 }, async () => {
    const wallet = (await browser.newPage()) as Awaited<ReturnType<typeof openPage>>;
    wallet.errors = [];
    wallet.on('pageerror', (e) => wallet.errors.push(String(e)));
    // Before the app loads: record what goes over each WebSocket, and a switch that makes new
    // sockets fail (as with the network gone) until it is turned off again.
    await wallet.evaluateOnNewDocument(() => {
      const w = window as unknown as { __sent: string[]; __sockets: WebSocket[]; __offline: boolean; WebSocket: typeof WebSocket };
      const Native = window.WebSocket;
      w.__sent = [];
      w.__sockets = [];
      w.__offline = false;
      w.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(w.__offline ? 'ws://127.0.0.1:9/offline' : url, protocols);
          w.__sockets.push(this);
        }
        send(data: string) {
          w.__sent.push(String(data));
          super.send(data);
        }
      };
    });
    await wallet.setViewport(PHONE);
    await wallet.goto(`${origin}/wallet#token=${member.token}`);
    await wallet.waitForSelector('[data-testid=balance]');
    await waitForText(wallet, 'Live');
    const before = Number(await wallet.$eval('[data-testid=balance]', (e) => e.textContent!.replace(/\D/g, '')));
    // A first event while connected, so the wallet has an eventId to resume from.
    await earn(gw, cafe, member, '3.00');
    await wallet.waitForFunction((n: number) => document.querySelector('[data-testid=balance]')?.textContent === String(n), { timeout: 15_000 }, before + 3);

    await wallet.evaluate(() => {
      const w = window as unknown as { __sockets: WebSocket[]; __offline: boolean };
      w.__offline = true;
      for (const socket of w.__sockets) socket.close();
    });
    await waitForText(wallet, 'Reconnecting…');
    // Earned while the wallet is cut off: only the replay can bring it.
    await earn(gw, cafe, member, '7.00');
    await wallet.evaluate(() => {
      (window as unknown as { __offline: boolean }).__offline = false;
    });
    await wallet.waitForFunction((n: number) => document.querySelector('[data-testid=balance]')?.textContent === String(n), { timeout: 30_000 }, before + 10);
    const subscribes = await wallet.evaluate(() =>
      (window as unknown as { __sent: string[] }).__sent
        .map((m) => JSON.parse(m) as { type: string; payload?: { variables?: { after?: string | null } } })
        .filter((m) => m.type === 'subscribe'),
    );
    expect(subscribes[0]!.payload!.variables!.after ?? null).toBeNull();
    expect(subscribes.at(-1)!.payload!.variables!.after).toMatch(/^\d+$/);
    expect(wallet.errors).toEqual([]);
    await wallet.close();
  });

  it('imports a members file in the console: a progress bar from importProgress reaches 100 %, and the bad row shows', { timeout: 60_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'loyalty-import-')), 'members-import.csv');
    writeFileSync(file, 'email,displayName,externalId\nnadia@example.com,Nadia Putri,KK-0001\nnot-an-email,Bad Row,KK-0002\nwei@example.com,Lim Wei,KK-0003\n');
    const page = await openPage(browser, 'about:blank');
    // Record what goes over graphql-ws, to see the bar is driven by the importProgress subscription.
    await page.evaluateOnNewDocument(() => {
      const w = window as unknown as { __sent: string[]; WebSocket: typeof WebSocket };
      const Native = window.WebSocket;
      w.__sent = [];
      w.WebSocket = class extends Native {
        send(data: string) {
          w.__sent.push(String(data));
          super.send(data);
        }
      };
    });
    await page.goto(`${origin}/console#token=${gw.adminToken}`, { waitUntil: 'domcontentloaded' });
    await clickButton(page, 'Imports');
    await page.waitForSelector('select[name=kind]');
    await page.select('select[name=kind]', 'members');
    await page.waitForSelector(`select[name=partner] option[value="${cafe.id}"]`);
    await page.select('select[name=partner]', cafe.id);
    await (await page.waitForSelector('input[type=file][name=file]'))!.uploadFile(file);
    await clickButton(page, 'Upload');
    await page.waitForSelector('[role=progressbar][aria-valuenow="100"]', { timeout: 30_000 });
    await waitForText(page, 'Done');
    await page.waitForSelector('table caption');
    const errors = await page.$$eval('table:has(caption) tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.slice(0, 3)).toEqual(['2', 'BAD_USER_INPUT', 'email']);
    expect(await page.$eval('[role=status]', (e) => e.textContent)).toMatch(/2 \/ 3.*1 rows failed/);
    const subscribed = await page.evaluate(() =>
      (window as unknown as { __sent: string[] }).__sent.some((m) => m.includes('"subscribe"') && m.includes('importProgress')),
    );
    expect(subscribed).toBe(true);
    // The finished job is listed among the recent imports.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('section')].some((s) => s.querySelector('h2')?.textContent === 'Recent imports' && /MEMBERS\s*Done/.test(s.innerText)),
      { timeout: 10_000 },
    );
    await screenshot(page, 'console-import');
    expect(await seriousViolations(page)).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('the wallet answers a real survey for its bonus points', async () => {
    await api(
      'mutation { createSurvey(input: { kind: NPS, question: "How likely are you to recommend Kopi Kita?", bonusPoints: 50 }) { id } }',
      {},
      gw.adminToken,
    );
    // A partner's own survey shows to the members linked to it (this one enrolled at the café).
    await api('mutation { createSurvey(input: { kind: CSAT, question: "How was your kopi today?", bonusPoints: 5 }) { id } }', {}, cafe.apiKey);
    const wallet = await openPage(browser, `${origin}/wallet#token=${member.token}`, PHONE);
    await clickButton(wallet, 'Surveys');
    await waitForText(wallet, 'How likely are you to recommend Kopi Kita?');
    await waitForText(wallet, 'How was your kopi today? Kopi Kita Café');
    const before = await api<{ member: { balance: { available: number } } }>(
      'query($id: ID!) { member(id: $id) { balance { available } } }',
      { id: member.id },
      gw.adminToken,
    );
    await wallet.click('input[type=radio][value="9"]');
    await clickButton(wallet, 'Answer (+50 points)');
    await wallet.waitForSelector('.reward [role=status]');
    const after = await api<{ member: { balance: { available: number } } }>(
      'query($id: ID!) { member(id: $id) { balance { available } } }',
      { id: member.id },
      gw.adminToken,
    );
    expect(after.member.balance.available).toBe(before.member.balance.available + 50);
    await screenshot(wallet, 'wallet-survey');
    expect(await seriousViolations(wallet)).toEqual([]);
    expect(wallet.errors).toEqual([]);
    await wallet.close();
  });

  it("the console's Insight shows this month's programMetrics and the program's surveys", async () => {
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
    const { programMetrics: m } = await api<{ programMetrics: { members: number; pointsIssued: number; netPromoterScore: string | null } }>(
      'query($f: DateTime!, $t: DateTime!) { programMetrics(from: $f, to: $t) { members pointsIssued netPromoterScore } }',
      { f: from, t: to },
      gw.adminToken,
    );
    expect(m.pointsIssued).toBeGreaterThan(0);
    const page = await openPage(browser, `${origin}/console#token=${gw.adminToken}`);
    await clickButton(page, 'Insight');
    await page.waitForSelector('[data-testid=metrics]');
    const facts = await page.$eval('[data-testid=metrics]', (dl) =>
      Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent])),
    );
    expect(facts).toMatchObject({
      Members: m.members.toLocaleString('en'),
      'Points issued': m.pointsIssued.toLocaleString('en'),
      NPS: m.netPromoterScore ?? '—',
    });
    await waitForText(page, 'How likely are you to recommend Kopi Kita?');
    expect(await page.$$eval('.chart svg path', (paths) => paths.length)).toBeGreaterThan(0);
    await screenshot(page, 'console-insight');
    expect(await seriousViolations(page)).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('the console closes a settlement period and lists its statement', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const page = await openPage(browser, `${origin}/console#token=${gw.adminToken}`);
    await clickButton(page, 'Settlement');
    // The default period runs to tomorrow: not closable yet, and the screen says why.
    await waitForText(page, 'A period can be closed once it has ended.');
    // The last two whole days (UTC): a period may not end in the future.
    await fill(page, 'input[name=from]', day(-2));
    await fill(page, 'input[name=to]', day(0));
    // A locator, not a handle: the button re-renders as the period's settlement loads, and a
    // locator waits for the element that is there and clickable.
    await page.locator('::-p-xpath(//button[starts-with(normalize-space(.), "Close ")])').click();
    // Listed in the closed periods below, as the API stored it.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('section')].some(
          (s) => s.querySelector('h2')?.textContent === 'Closed periods (statements)' && s.querySelector('tbody tr'),
        ),
      { timeout: 15_000 },
    );
    const { settlementStatements } = await api<{ settlementStatements: { edges: { node: { from: string; to: string } }[] } }>(
      'query { settlementStatements(first: 5) { edges { node { from to } } } }',
      {},
      gw.adminToken,
    );
    expect(settlementStatements.edges.map((e) => [e.node.from, e.node.to])).toEqual([[`${day(-2)}T00:00:00.000Z`, `${day(0)}T00:00:00.000Z`]]);
    // Its CSV comes from the gateway's export, with the signed-in credential.
    const csv = page.waitForResponse((r) => r.url().includes('/exports/settlement/'));
    await (await page.waitForSelector('::-p-xpath(//section[h2="Closed periods (statements)"]//tbody//button)'))!.click();
    const res = await csv;
    expect(res.status()).toBe(200);
    expect(await res.text()).toMatch(/^kind,/);
    expect(await page.$('[role=alert]')).toBeNull();
    expect(await seriousViolations(page)).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it("a partner key cannot open the console's member search", async () => {
    // The airline's key; the member enrolled at the café and gave the airline nothing.
    const page = await openPage(browser, `${origin}/console#token=${airline.apiKey}`);
    await page.waitForSelector('[data-testid=staff-only]');
    expect(page.url()).toBe(`${origin}/console`);
    expect(await page.$('input[name=needle]')).toBeNull();
    expect(await page.evaluate(() => document.body.innerText)).not.toContain(member.email);
    // And the API behind it says the same: no member by email for this partner.
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${airline.apiKey}` },
      body: JSON.stringify({ query: 'query($e: String!) { memberByEmail(email: $e) { id email } }', variables: { e: member.email } }),
    });
    expect(((await res.json()) as { data: unknown }).data).toEqual({ memberByEmail: null });
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('every screen of every app passes axe-core (no serious or critical violations), on a phone and a desktop', async () => {
    const screens: { app: string; url: string; tabs: string[]; viewport: typeof PHONE }[] = [
      {
        app: 'console',
        url: `/console#token=${gw.adminToken}`,
        tabs: ['Partners', 'Exchange rates', 'API keys', 'Webhooks', 'Settlement', 'Insight', 'Members', 'Imports', 'Audit log', 'Program'],
        viewport: DESKTOP,
      },
      { app: 'till', url: `/till#key=${cafe.apiKey}`, tabs: ['Member & basket', 'Redemption code'], viewport: PHONE },
      {
        app: 'wallet',
        url: `/wallet#token=${member.token}`,
        tabs: ['Balance', 'History', 'Rewards', 'My codes', 'Challenges', 'Surveys', 'Privacy', 'Transfer', 'My data'],
        viewport: PHONE,
      },
    ];
    const found: string[] = [];
    for (const s of screens) {
      const page = await openPage(browser, origin + s.url, s.viewport);
      await page.waitForSelector('nav.tabs');
      for (const tab of s.tabs) {
        await clickButton(page, tab);
        await page.waitForNetworkIdle({ idleTime: 200, timeout: 10_000 }).catch(() => undefined);
        for (const v of await seriousViolations(page)) found.push(`${s.app} / ${tab}: ${v}`);
        if (s.app === 'console' && tab === 'Settlement') await screenshot(page, 'console-settlement');
        // The bulk and insight APIs are served: their screens never say they are missing.
        expect(await page.$('[data-testid=not-served]'), `${s.app} / ${tab}`).toBeNull();
        if (s.app === 'console' && tab === 'Members') {
          await fill(page, 'input[name=needle]', card);
          await clickButton(page, 'Find');
          await page.waitForSelector('[data-testid=member-facts]');
          for (const v of await seriousViolations(page)) found.push(`${s.app} / ${tab} (found): ${v}`);
          await screenshot(page, 'console-member');
        }
      }
      // The same screen at the other size.
      await page.setViewport(s.viewport === PHONE ? DESKTOP : PHONE);
      for (const v of await seriousViolations(page)) found.push(`${s.app} (resized): ${v}`);
      expect(page.errors).toEqual([]);
      await page.close();
    }
    const login = await openPage(browser, `${origin}/console`, PHONE);
    await login.waitForSelector('input[name=email]');
    for (const v of await seriousViolations(login)) found.push(`console sign-in: ${v}`);
    await login.close();
    expect(found).toEqual([]);
  }, 120_000);

  it('each app in Thai renders Thai text with the bundled Thai font', async () => {
    for (const [app, url] of [
      ['console', `/console?lang=th#token=${gw.adminToken}`],
      ['till', `/till?lang=th#key=${cafe.apiKey}`],
      ['wallet', `/wallet?lang=th#token=${member.token}`],
    ] as const) {
      const page = await openPage(browser, origin + url, app === 'console' ? DESKTOP : PHONE);
      await page.waitForSelector('nav.tabs');
      await page.waitForNetworkIdle({ idleTime: 200, timeout: 10_000 }).catch(() => undefined);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('th');
      const text = await page.evaluate(() => document.body.innerText);
      expect(text, app).toMatch(/[\u0E00-\u0E7F]{4,}/);
      // The Thai face was fetched and used: Chromium's own fonts have no Thai glyphs.
      const thaiFont = await page.evaluate(async () => {
        await document.fonts.ready;
        return [...document.fonts].some((f) => f.family.includes('Noto Sans Thai') && f.status === 'loaded');
      });
      expect(thaiFont, app).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      if (app === 'wallet') await screenshot(page, 'wallet-thai');
      await page.close();
    }
    // The language is remembered without ?lang=.
    const again = await openPage(browser, `${origin}/till#key=${cafe.apiKey}`, PHONE);
    await again.waitForSelector('nav.tabs');
    expect(await again.evaluate(() => document.documentElement.lang)).toBe('th');
    await again.close();
  }, 60_000);
});
