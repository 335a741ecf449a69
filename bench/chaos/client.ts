// One GraphQL request over real HTTP, classified the way a careful client must see it:
//   ok      — data, no errors: the write happened;
//   failed  — a GraphQL error with a code: the server refused it, nothing was written;
//   unknown — timeout, connection refused or lost, SERVICE_UNAVAILABLE or a bare HTTP 503: it may
//             or may not have happened, so the client retries with the same idempotency key;
//   internal — a 5xx or an uncoded / INTERNAL_SERVER_ERROR answer: a bug (a violation), and
//             also retried, since its outcome is unknown too.
export type Outcome =
  | { kind: 'ok'; data: Record<string, any> }
  | { kind: 'failed'; code: string; message: string; field?: string }
  | { kind: 'unknown'; reason: string }
  | { kind: 'internal'; status: number; body: string };

interface GqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

export async function send(url: string, query: string, variables: Record<string, unknown>, token: string, timeoutMs: number): Promise<Outcome> {
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string; message?: string } };
    return { kind: 'unknown', reason: e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.cause?.message ?? String(err)) };
  }
  let body: GqlBody;
  try {
    body = JSON.parse(text) as GqlBody;
  } catch {
    return { kind: 'internal', status, body: text.slice(0, 300) };
  }
  const error = body.errors?.[0];
  const code = error?.extensions?.code;
  if (code === 'SERVICE_UNAVAILABLE') return { kind: 'unknown', reason: 'SERVICE_UNAVAILABLE' };
  // HTTP's own "try again later", without a GraphQL error: a restarted gateway still starting
  // answers it (with Retry-After) before its routes exist. Nothing was processed; retry.
  if (status === 503 && !error) return { kind: 'unknown', reason: 'HTTP 503' };
  if (status >= 500 || (error && (!code || code === 'INTERNAL_SERVER_ERROR'))) return { kind: 'internal', status, body: text.slice(0, 300) };
  if (error) return { kind: 'failed', code: code!, message: error.message, field: error.extensions?.field };
  if (!body.data) return { kind: 'internal', status, body: text.slice(0, 300) };
  return { kind: 'ok', data: body.data as Record<string, any> };
}
