// Uploading files to the import routes and waiting for their jobs, as a partner's tool would.
import { ImportJobDocument } from '../generated/graphql';
import type { TestGateway } from './gateway';

export const baseUrl = (gw: TestGateway) => gw.url.replace(/\/graphql$/, '');

export async function upload(
  gw: TestGateway,
  path: string,
  body: string,
  token: string | null,
  { type = 'text/csv', key, partnerId }: { type?: string; key?: string; partnerId?: string } = {},
) {
  const res = await fetch(`${baseUrl(gw)}${path}${partnerId ? `?partnerId=${partnerId}` : ''}`, {
    method: 'POST',
    body,
    headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(key ? { 'idempotency-key': key } : {}) },
  });
  return { status: res.status, body: (await res.json()) as { importId?: string; error?: { code: string; field?: string } } };
}

export async function finished(gw: TestGateway, importId: string, token = gw.adminToken, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { importJob } = await gw.ok(ImportJobDocument, { id: importId }, token);
    if (importJob && (importJob.status === 'SUCCEEDED' || importJob.status === 'FAILED')) return importJob;
    if (Date.now() > until) throw new Error(`import ${importId} still ${importJob?.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const csv = (header: string[], rows: (string | number)[][]) => [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
