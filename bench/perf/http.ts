// A GraphQL call over real HTTP for setting the benchmark up (not for measuring: autocannon does that).
export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length || !body.data) throw new Error(`${res.status} ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Runs fn over items with at most `concurrency` in flight; results in input order. */
export async function inParallel<I, O>(items: readonly I[], concurrency: number, fn: (item: I, index: number) => Promise<O>): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
