// An import lives in the database, not in a gateway's memory: a members import interrupted by
// SIGKILL resumes in the restarted process, with no row applied twice or half.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, TestGateway } from './support/gateway';
import { startChildGateway } from './support/child-gateway';
import { ledgerViolations, newPartner, uniq } from './support/factories';
import { csv } from './support/bulk';

let gw: TestGateway;
beforeAll(async () => {
  // Only the child processes apply imports in this file.
  gw = await startTestGateway({ IMPORT_SWEEP_INTERVAL_MS: '3600000' });
  await gw.services.imports.stop();
});
afterAll(() => gw?.stop());

const CHILD_ENV = { IMPORT_BATCH_ROWS: '25', IMPORT_SWEEP_INTERVAL_MS: '200' };
const ROWS = 800;

async function progress(jobId: string) {
  const [job] = await gw.sql<{ status: string; done: number; failed: number; staged: number }>(
    `SELECT status, rows_done AS done, rows_failed AS failed, (SELECT count(*)::int FROM import_row WHERE job_id = j.id AND row_no > j.applied_through) AS staged
       FROM import_job j WHERE id = $1`,
    [jobId],
  );
  return job!;
}

async function written(partnerId: string) {
  const [r] = await gw.sql<{ refs: number; migrations: number; points: string }>(
    `SELECT (SELECT count(*)::int FROM partner_member_ref WHERE partner_id = $1) AS refs,
            (SELECT count(*)::int FROM ledger_transaction WHERE partner_id = $1 AND type = 'MIGRATION') AS migrations,
            (SELECT coalesce(sum(points), 0)::text FROM ledger_transaction WHERE partner_id = $1 AND type = 'MIGRATION') AS points`,
    [partnerId],
  );
  return r!;
}

it('resumes a members import after the gateway is SIGKILLed mid-file, every row applied once', async () => {
  const partner = await newPartner(gw);
  const tag = uniq('kill');
  const file = csv(
    ['email', 'displayName', 'externalId', 'openingPoints'],
    Array.from({ length: ROWS }, (_, i) => [`${tag}-${i}@example.com`, `Member ${i}`, `${tag}-${i}`, (i % 7) + 1]),
  );
  const first = await startChildGateway(gw.dbUrl, gw.adminToken, CHILD_ENV);
  const res = await fetch(first.url.replace(/\/graphql$/, '/imports/members'), {
    method: 'POST',
    body: file,
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${partner.apiKey}` },
  });
  expect(res.status).toBe(202);
  const { importId } = (await res.json()) as { importId: string };
  const deadline = Date.now() + 30_000;
  while ((await progress(importId)).done < 100) {
    if (Date.now() > deadline) throw new Error('the child never started applying the file');
    await new Promise((r) => setTimeout(r, 20));
  }
  await first.kill('SIGKILL');

  // Cut off mid-file: what is counted is exactly what was written, the rest still staged.
  const cut = await progress(importId);
  expect(cut.status).toBe('RUNNING');
  expect(cut.done).toBeLessThan(ROWS);
  expect(cut.done + cut.failed + cut.staged).toBe(ROWS);
  expect(await written(partner.id)).toMatchObject({ refs: cut.done, migrations: cut.done });

  const second = await startChildGateway(gw.dbUrl, gw.adminToken, CHILD_ENV);
  try {
    const until = Date.now() + 120_000;
    while ((await progress(importId)).status !== 'SUCCEEDED') {
      if (Date.now() > until) throw new Error(`the import did not resume: ${JSON.stringify(await progress(importId))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await second.stop();
  }
  expect(await progress(importId)).toMatchObject({ done: ROWS, failed: 0, staged: 0 });
  const expected = Array.from({ length: ROWS }, (_, i) => (i % 7) + 1).reduce((a, b) => a + b, 0);
  expect(await written(partner.id)).toEqual({ refs: ROWS, migrations: ROWS, points: String(expected) });
  expect(await ledgerViolations(gw)).toEqual([]);
}, 180_000);
