// Issue 19, on a real server process (the built gateway, as `npm start` runs it, with the demo
// seed): its whole output, exercised with the demo credentials and members' personal data, is
// JSON log lines (plus the start-up banner, which prints the demo credentials on purpose) and
// none of them holds a token, key, password, email, name or birth date. Then SIGTERM drains it:
// /readyz answers 503 at once, an earn in flight is still answered, WebSockets close with 1012,
// and the process exits 0.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from 'pg';
import { gqlAt, newTestDatabase } from './support/gateway';
import { StartedProcess } from './support/started-process';
import { liveClient, settle, subscribe } from './support/live-client';
import {
  BalanceChangedDocument,
  CreateStaffUserDocument,
  EarnPointsDocument,
  EnrollMemberDocument,
  MemberBalanceDocument,
  MemberByEmailDocument,
  StaffLoginDocument,
  type StaffRole,
} from './generated/graphql';

let database: { url: string; drop(): Promise<void> };
let gateway: StartedProcess;
let url: string;
const banner = { admin: '', keys: new Map<string, string>(), memberId: '', memberEmail: '', memberToken: '' };
const secrets: string[] = [];

beforeAll(async () => {
  database = await newTestDatabase();
  const { DATABASE_URL: _db, ADMIN_TOKEN: _admin, HOST: _host, ...inherited } = process.env;
  gateway = new StartedProcess('dist/src/main.js', {
    ...inherited,
    NODE_ENV: 'development',
    DATABASE_URL: database.url,
    PORT: '0',
    SEED_DEMO: 'true',
    LOG_LEVEL: 'debug',
    SHUTDOWN_DELAY_SECONDS: '3',
    POINTS_LIFECYCLE_INTERVAL_SECONDS: '0',
    TIER_EVALUATION_INTERVAL_SECONDS: '0',
  });
  url = (await gateway.waitFor(/ready: (http:\/\/\S+)/, 90_000))[1]!;
  await gateway.waitFor(/Try: curl/, 10_000);
  banner.admin = gateway.output.match(/Admin token[^:]*: (\S+)/)![1]!;
  for (const m of gateway.output.matchAll(/^ {4}([a-z-]+) +(lgk_\S+)$/gm)) banner.keys.set(m[1]!, m[2]!);
  const member = gateway.output.match(/Demo member (\S+) \((\S+)\) token:\n\s+(\S+)/)!;
  [banner.memberEmail, banner.memberId, banner.memberToken] = [member[1]!, member[2]!, member[3]!];
  secrets.push(banner.admin, ...banner.keys.values(), banner.memberToken);
}, 120_000);

afterAll(async () => {
  gateway?.kill();
  await database?.drop();
});

it('logs every request as one JSON line with nothing secret or personal in it', async () => {
  const kopi = banner.keys.get('kopi-kita')!;
  expect(kopi).toBeDefined();
  // The demo member reads itself (email, name in the response), and earns.
  expect((await gqlAt(url, MemberBalanceDocument, { id: banner.memberId }, banner.memberToken)).data?.member?.email).toBe(banner.memberEmail);
  const earned = await gqlAt(
    url,
    EarnPointsDocument,
    { input: { memberId: banner.memberId, amount: '12.00', currencyCode: 'MYR', externalRef: 'log-test-1', idempotencyKey: 'log-test-1' } },
    kopi,
  );
  expect(earned.errors).toBeUndefined();
  // Personal data in variables: an enrolment, a lookup by email, a staff account and its sign-ins.
  const newcomer = { email: 'nadia.private@example.com', displayName: 'Nadia Secretname', birthDate: '1991-07-23' };
  expect((await gqlAt(url, EnrollMemberDocument, { input: newcomer }, kopi)).errors).toBeUndefined();
  const password = 'correct horse battery staple';
  const staff = { email: 'ops.person@operator.example', displayName: 'Opsy McOps', roles: ['SUPPORT' as StaffRole], password };
  expect((await gqlAt(url, CreateStaffUserDocument, { input: staff }, banner.admin)).errors).toBeUndefined();
  const login = await gqlAt(url, StaffLoginDocument, { email: staff.email, password }, null);
  const staffToken = login.data!.staffLogin;
  secrets.push(staffToken, password, 'wrong horse battery staple');
  expect((await gqlAt(url, StaffLoginDocument, { email: staff.email, password: 'wrong horse battery staple' }, null)).errors?.[0]?.extensions?.code).toBe(
    'UNAUTHENTICATED',
  );
  expect((await gqlAt(url, MemberByEmailDocument, { email: newcomer.email }, staffToken)).errors).toBeUndefined();
  // A bad input quoting an email, a token that proves nothing, a GET with variables in its URL.
  await gqlAt(url, EnrollMemberDocument, { input: { ...newcomer, email: 'not an email nadia.private@example' } }, kopi);
  await gqlAt(url, MemberBalanceDocument, { id: banner.memberId }, `${banner.memberToken}x`);
  await fetch(
    `${url}?query=${encodeURIComponent('query($e: String!) { memberByEmail(email: $e) { id } }')}&variables=${encodeURIComponent(JSON.stringify({ e: newcomer.email }))}`,
    {
      headers: { authorization: `Bearer ${staffToken}`, 'apollo-require-preflight': 'true' },
    },
  );
  // Over graphql-ws with the member's token, and /metrics.
  const sub = subscribe(liveClient(url.replace(/^http/, 'ws'), banner.memberToken), BalanceChangedDocument, { memberId: banner.memberId });
  await settle(300);
  await gqlAt(
    url,
    EarnPointsDocument,
    { input: { memberId: banner.memberId, amount: '1.00', currencyCode: 'MYR', externalRef: 'log-test-2', idempotencyKey: 'log-test-2' } },
    kopi,
  );
  await sub.waitFor(1);
  await sub.stop();
  expect((await fetch(url.replace(/\/graphql$/, '/metrics'))).status).toBe(200);

  await settle(200);
  const lines = logLines();
  const text = lines.map((l) => JSON.stringify(l)).join('\n');
  const admin = new Client({ connectionString: database.url });
  await admin.connect();
  const people = (
    await admin.query<{ email: string; display_name: string; birth_date: string | null }>(`SELECT email, display_name, birth_date::text FROM member`)
  ).rows;
  await admin.end();
  expect(people.length).toBeGreaterThanOrEqual(4);
  const personal = people.flatMap((p) => [p.email, p.display_name, ...(p.birth_date ? [p.birth_date] : [])]);
  for (const s of [...secrets, ...personal, staff.email, staff.displayName]) expect(text, 'a log line holds a secret or personal data').not.toContain(s);
  // The per-request lines: id, operation, caller kind, duration, outcome.
  const requests = lines.filter((l) => l.msg === 'request' && l.path === '/graphql');
  expect(requests.length).toBeGreaterThanOrEqual(9);
  for (const r of requests)
    expect(r).toMatchObject({ requestId: expect.any(String), durationMs: expect.any(Number), outcome: expect.stringMatching(/^(ok|error)$/) });
  expect(requests.find((r) => r.operationName === 'EarnPoints')).toMatchObject({ caller: 'partner', operationType: 'mutation', outcome: 'ok' });
  expect(requests.find((r) => r.operationName === 'StaffLogin' && r.outcome === 'error')).toMatchObject({ errorCodes: ['UNAUTHENTICATED'] });
  expect(lines.find((l) => l.msg === 'operation' && l.operationName === 'BalanceChanged')).toMatchObject({ transport: 'ws', caller: 'member' });
}, 60_000);

it('drains on SIGTERM: /readyz 503 at once, the earn in flight answered, sockets closed with 1012, exit 0', async () => {
  const kopi = banner.keys.get('kopi-kita')!;
  const ws = url.replace(/^http/, 'ws');
  // A subscriber, and an earn held in flight behind the member's wallet lock.
  const sub = subscribe(liveClient(ws, banner.memberToken), BalanceChangedDocument, { memberId: banner.memberId });
  await settle(300);
  const blocker = new Client({ connectionString: database.url });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM account WHERE member_id = $1 FOR UPDATE', [banner.memberId]);
  const inFlight = gqlAt(
    url,
    EarnPointsDocument,
    { input: { memberId: banner.memberId, amount: '5.00', currencyCode: 'MYR', externalRef: 'drain-1', idempotencyKey: 'drain-1' } },
    kopi,
  );
  await settle(300);

  gateway.child.kill('SIGTERM');
  await gateway.waitFor(/draining/, 10_000);
  const ready = await fetch(url.replace(/\/graphql$/, '/readyz'));
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'draining' });

  // The socket goes with 1012 once the listener closes (SHUTDOWN_DELAY_SECONDS later).
  const deadline = Date.now() + 15_000;
  while (!sub.closed && Date.now() < deadline) await settle(50);
  expect(sub.closed?.code).toBe(1012);

  // The held earn is still answered: its request finishes before the process exits.
  await blocker.query('COMMIT');
  await blocker.end();
  const answer = await inFlight;
  expect(answer.errors).toBeUndefined();
  expect(answer.data?.earnPoints.points).toBeGreaterThan(0);
  expect(await gateway.exitWithin(20_000)).toBe(0);
  await sub.stop();
  // Still nothing secret in what it logged while stopping.
  const text = logLines()
    .map((l) => JSON.stringify(l))
    .join('\n');
  for (const s of secrets) expect(text).not.toContain(s);
}, 60_000);

/** The output's lines, the banner left out; every other line must be a JSON log object. */
function logLines(): Record<string, unknown>[] {
  const all = gateway.output.split('\n');
  const start = all.findIndex((l) => l.includes('Coalition loyalty gateway ready'));
  const end = all.findIndex((l, i) => i > start && l.includes('Try: curl'));
  return all
    .filter((l, i) => (i < start - 1 || i > end + 1) && l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}
