// A joining partner's members file over plain HTTP: new members enrolled, existing ones linked,
// opening balances as MIGRATION postings in lots with the given expiry, owed in settlement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EraseMemberDocument, ImportJobsDocument, MemberByEmailDocument, MemberLotsDocument, SettlementDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { ledgerViolations, newMember, newPartner, TestPartner, uniq } from './support/factories';
import { csv, finished, upload } from './support/bulk';

let gw: TestGateway;
beforeAll(async () => {
  // Small batches, so a file spans several and rows meet earlier rows of their own batch and of others.
  gw = await startTestGateway({ IMPORT_BATCH_ROWS: '50' });
});
afterAll(() => gw?.stop());

const HEADER = ['email', 'displayName', 'birthDate', 'externalId', 'openingPoints', 'pointsExpireAt'];

describe('members import', () => {
  let airline: TestPartner;
  let from: string;
  beforeAll(async () => {
    from = new Date(Date.now() - 1000).toISOString();
    airline = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.02' });
  });

  it('enrols new members, links existing ones, and credits opening balances in lots with their expiry', async () => {
    const cafe = await newPartner(gw);
    const existing = await newMember(gw, cafe);
    const fresh = `${uniq('fresh')}@example.com`;
    const expiry = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
    const file = csv(HEADER, [
      [fresh, 'Fresh Flyer', '1990-04-01', 'FF-1', 1500, expiry],
      [existing.email, 'Known Member', '', 'FF-2', 700, ''],
    ]);
    const r = await upload(gw, '/imports/members', file, airline.apiKey);
    expect(r.status).toBe(202);
    const job = await finished(gw, r.body.importId!, airline.apiKey);
    expect(job).toMatchObject({ kind: 'MEMBERS', status: 'SUCCEEDED', rowsTotal: 2, rowsDone: 2, rowsFailed: 0, partner: { id: airline.id } });

    const { memberByEmail } = await gw.ok(MemberByEmailDocument, { email: fresh }, gw.adminToken);
    const { member } = await gw.ok(MemberLotsDocument, { id: memberByEmail!.id }, gw.adminToken);
    expect(member!.balance).toMatchObject({ available: 1500, pending: 0 });
    const lots = await gw.sql<{ partner_id: string; points: number; expires: string; type: string }>(
      `SELECT l.partner_id, l.points, to_char(l.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS expires, t.type
         FROM points_lot l JOIN ledger_transaction t ON t.id = l.earn_transaction_id WHERE l.member_id = $1`,
      [memberByEmail!.id],
    );
    expect(lots).toEqual([{ partner_id: airline.id, points: 1500, expires: expiry, type: 'MIGRATION' }]);

    // Linked, not duplicated: same member, now with the airline's opening points.
    const { member: known } = await gw.ok(MemberLotsDocument, { id: existing.id }, gw.adminToken);
    expect(known!.balance.available).toBe(700);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM member WHERE lower(email) = lower($1)`, [existing.email])).toEqual([{ n: 1 }]);
    expect(await gw.sql(`SELECT via FROM member_partner_link WHERE member_id = $1 AND partner_id = $2`, [existing.id, airline.id])).toEqual([
      { via: 'IMPORT' },
    ]);
    // Counted for Prometheus as the batch committed (GET /metrics from loopback needs no token).
    const metrics = await (await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(Number(/^loyalty_import_rows_total\{kind="MEMBERS",outcome="imported"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
  });

  it('puts the opening points on the migrating partner’s settlement line, at its burn rate', async () => {
    const to = new Date(Date.now() + 1000).toISOString();
    const { settlement } = await gw.ok(SettlementDocument, { from, to }, airline.apiKey);
    expect(settlement[0]).toMatchObject({ pointsIssued: 2200, owedByPartner: { amount: '44.00', currencyCode: 'MYR' } });
  });

  it('credits nothing twice: the same file again reports every row as already recorded', async () => {
    const email = `${uniq('twice')}@example.com`;
    const file = csv(HEADER, [[email, 'Twice', '', 'TW-1', 100, '']]);
    const first = await finished(gw, (await upload(gw, '/imports/members', file, airline.apiKey)).body.importId!);
    expect(first).toMatchObject({ rowsDone: 1, rowsFailed: 0 });
    const again = await finished(gw, (await upload(gw, '/imports/members', file, airline.apiKey)).body.importId!);
    expect(again).toMatchObject({ status: 'SUCCEEDED', rowsDone: 0, rowsFailed: 1 });
    expect(again.errors.edges[0]!.node).toMatchObject({ row: 1, code: 'ALREADY_RECORDED', field: 'externalId' });
    const { memberByEmail } = await gw.ok(MemberByEmailDocument, { email }, gw.adminToken);
    expect((await gw.ok(MemberLotsDocument, { id: memberByEmail!.id }, gw.adminToken)).member!.balance.available).toBe(100);
  });

  it('returns the same job for a re-sent upload with the same Idempotency-Key', async () => {
    const file = csv(HEADER, [[`${uniq('key')}@example.com`, 'Keyed', '', uniq('K'), 5, '']]);
    const key = uniq('upload');
    const a = await upload(gw, '/imports/members', file, airline.apiKey, { key });
    const b = await upload(gw, '/imports/members', file, airline.apiKey, { key });
    expect(b.body.importId).toBe(a.body.importId);
    expect(await finished(gw, a.body.importId!)).toMatchObject({ rowsDone: 1 });
  });

  it('reports bad rows with their row number, code and column, and writes the others', async () => {
    const good = `${uniq('good')}@example.com`;
    const file = csv(HEADER, [
      ['not-an-email', 'Bad Email', '', 'B-1', 10, ''],
      [good, 'Good', '', 'B-2', 10, ''],
      [`${uniq('neg')}@example.com`, 'Negative', '', 'B-3', -5, ''],
      [`${uniq('old')}@example.com`, 'Expired', '', 'B-4', 10, '2001-01-01'],
      [`${uniq('bd')}@example.com`, 'Bad birthday', '1990-13-45', 'B-5', 0, ''],
    ]);
    const job = await finished(gw, (await upload(gw, '/imports/members', file, airline.apiKey)).body.importId!);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsTotal: 5, rowsDone: 1, rowsFailed: 4 });
    expect(job.errors.edges.map((e) => [e.node.row, e.node.code, e.node.field])).toEqual([
      [1, 'BAD_USER_INPUT', 'email'],
      [3, 'BAD_USER_INPUT', 'openingPoints'],
      [4, 'BAD_USER_INPUT', 'pointsExpireAt'],
      [5, 'BAD_USER_INPUT', 'birthDate'],
    ]);
    expect((await gw.ok(MemberByEmailDocument, { email: good }, gw.adminToken)).memberByEmail).toBeTruthy();
  });

  it('fails a malformed file as a whole, nothing written', async () => {
    const before = await gw.sql(`SELECT count(*)::int AS n FROM member`);
    const noColumn = await upload(gw, '/imports/members', csv(['email', 'displayName'], [[`${uniq('x')}@example.com`, 'X']]), airline.apiKey);
    const job = await finished(gw, noColumn.body.importId!);
    expect(job).toMatchObject({ status: 'FAILED', rowsDone: 0 });
    expect(job.errors.edges[0]!.node).toMatchObject({ row: 0, code: 'IMPORT_FILE_INVALID', field: 'externalId' });
    const broken = `${HEADER.join(',')}\n"${uniq('q')}@example.com,unterminated quote,,Q-1,10,\n`;
    expect(await finished(gw, (await upload(gw, '/imports/members', broken, airline.apiKey)).body.importId!)).toMatchObject({ status: 'FAILED' });
    const ndjson = `{"email":"${uniq('n')}@example.com","displayName":"N","externalId":"N-1"}\nnot json\n`;
    const nd = await finished(gw, (await upload(gw, '/imports/members', ndjson, airline.apiKey, { type: 'application/x-ndjson' })).body.importId!);
    expect(nd).toMatchObject({ status: 'FAILED' });
    expect(nd.errors.edges[0]!.node).toMatchObject({ row: 2, code: 'IMPORT_FILE_INVALID' });
    expect(await gw.sql(`SELECT count(*)::int AS n FROM member`)).toEqual(before);
    const wrongType = await upload(gw, '/imports/members', 'a,b\n', airline.apiKey, { type: 'application/pdf' });
    expect(wrongType).toMatchObject({ status: 400, body: { error: { code: 'IMPORT_FILE_INVALID', field: 'Content-Type' } } });
  });

  it('reads NDJSON too', async () => {
    const email = `${uniq('nd')}@example.com`;
    const file = `{"email":"${email}","displayName":"Nd","externalId":"ND-1","openingPoints":42}\n`;
    const job = await finished(gw, (await upload(gw, '/imports/members', file, airline.apiKey, { type: 'application/x-ndjson' })).body.importId!);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1 });
    const { memberByEmail } = await gw.ok(MemberByEmailDocument, { email }, gw.adminToken);
    expect((await gw.ok(MemberLotsDocument, { id: memberByEmail!.id }, gw.adminToken)).member!.balance.available).toBe(42);
  });

  it('takes rows in file order within and across batches: an address twice is one member, a customer id twice is recorded once', async () => {
    const tag = uniq('order');
    const twice = `${tag}-twice@example.com`;
    const rows: (string | number)[][] = Array.from({ length: 120 }, (_, i) => [`${tag}-${i}@example.com`, `Member ${i}`, '', `${tag}-${i}`, i + 1, '']);
    rows[10] = [twice, 'Twice', '', `${tag}-t1`, 100, ''];
    rows[11] = [twice.toUpperCase(), 'Twice Again', '', `${tag}-t2`, 50, '']; // the same batch, another customer id: linked, credited again
    rows[70] = [twice, 'Twice Later', '', `${tag}-t3`, 25, '']; // a later batch
    rows[12] = [`${tag}-dup@example.com`, 'Dup', '', `${tag}-t1`, 999, '']; // a customer id already in this batch
    const job = await finished(gw, (await upload(gw, '/imports/members', csv(HEADER, rows), airline.apiKey)).body.importId!);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsTotal: 120, rowsDone: 119, rowsFailed: 1 });
    expect(job.errors.edges.map((e) => [e.node.row, e.node.code, e.node.field])).toEqual([[13, 'ALREADY_RECORDED', 'externalId']]);
    const { memberByEmail } = await gw.ok(MemberByEmailDocument, { email: twice }, gw.adminToken);
    expect(await gw.sql(`SELECT display_name FROM member WHERE id = $1`, [memberByEmail!.id])).toEqual([{ display_name: 'Twice' }]);
    const { member } = await gw.ok(MemberLotsDocument, { id: memberByEmail!.id }, gw.adminToken);
    expect(member!.balance.available).toBe(175);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM partner_member_ref WHERE member_id = $1`, [memberByEmail!.id])).toEqual([{ n: 3 }]);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM member WHERE lower(email) LIKE $1`, [`${tag}-%`])).toEqual([{ n: 117 }]);
    const { member: last } = await gw.ok(
      MemberLotsDocument,
      { id: (await gw.ok(MemberByEmailDocument, { email: `${tag}-119@example.com` }, gw.adminToken)).memberByEmail!.id },
      gw.adminToken,
    );
    expect(last!.balance.available).toBe(120);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('does not enrol again the address of a member who was erased', async () => {
    const cafe = await newPartner(gw);
    const gone = await newMember(gw, cafe);
    await gw.ok(EraseMemberDocument, { memberId: gone.id, key: uniq('erase') }, gw.adminToken);
    const file = csv(HEADER, [
      [gone.email, 'Back Again', '', uniq('E'), 10, ''],
      [`${uniq('ok')}@example.com`, 'Fine', '', uniq('E'), 10, ''],
    ]);
    const job = await finished(gw, (await upload(gw, '/imports/members', file, airline.apiKey)).body.importId!);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsFailed: 1 });
    expect(job.errors.edges.map((e) => [e.node.row, e.node.code, e.node.field])).toEqual([[1, 'BAD_USER_INPUT', 'email']]);
    expect((await gw.ok(MemberByEmailDocument, { email: gone.email }, gw.adminToken)).memberByEmail).toBeNull();
  });

  it('lets a partner import only for itself; an admin names the partner', async () => {
    const other = await newPartner(gw);
    const file = csv(HEADER, [[`${uniq('o')}@example.com`, 'O', '', uniq('O'), 1, '']]);
    expect(await upload(gw, '/imports/members', file, other.apiKey, { partnerId: airline.id })).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN', field: 'partnerId' } },
    });
    expect(await upload(gw, '/imports/members', file, gw.adminToken)).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_USER_INPUT', field: 'partnerId' } },
    });
    expect((await upload(gw, '/imports/members', file, null)).status).toBe(401);
    const byAdmin = await upload(gw, '/imports/members', file, gw.adminToken, { partnerId: other.id });
    expect(await finished(gw, byAdmin.body.importId!)).toMatchObject({ status: 'SUCCEEDED', partner: { id: other.id } });
    // The other partner does not see the airline's jobs.
    const { importJobs } = await gw.ok(ImportJobsDocument, { first: 100 }, other.apiKey);
    expect(importJobs.edges.every((e) => e.node.partner!.id === other.id)).toBe(true);
  });
});
