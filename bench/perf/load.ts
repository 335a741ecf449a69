// HTTP load with autocannon: a fixed number of connections, each sending its next request as soon
// as the previous answered. Every response body is checked for GraphQL errors, so a run that
// "succeeds" with refusals is reported as such rather than counted as throughput.
import autocannon from 'autocannon';

export interface LoadResult {
  label: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers, socket errors and timeouts, and 200s carrying GraphQL errors. */
  failures: number;
  firstFailure: string | null;
}

export interface Request {
  body: string;
  token: string;
}

export async function load(label: string, url: string, connections: number, seconds: number, next: (n: number) => Request): Promise<LoadResult> {
  let n = 0;
  let graphqlErrors = 0;
  let firstFailure: string | null = null;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    requests: [
      {
        setupRequest: (req) => {
          const r = next(n++);
          return { ...req, method: 'POST', body: r.body, headers: { 'content-type': 'application/json', authorization: `Bearer ${r.token}` } };
        },
        onResponse: (status, body) => {
          if (status === 200 && !body.includes('"errors"')) return;
          graphqlErrors += status === 200 ? 1 : 0;
          firstFailure ??= `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  return {
    label,
    connections,
    seconds,
    requests: result.requests.total,
    rps: result.requests.total / (result.duration || seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts + graphqlErrors,
    firstFailure,
  };
}
