// The process's Prometheus metrics (prom-client), served at GET /metrics (see metrics-endpoint.ts).
// One registry per process, made at load: every gateway started in it (tests start several) counts
// into the same series. Labels take only bounded values: operation names are capped (the first
// MAX_OPERATION_NAMES distinct names of operations that parsed and validated, the rest "(other)"),
// error codes are the known ones, jobs and pools are named by the code.
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const registers = [metricsRegistry];
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const requestDuration = new Histogram({
  name: 'loyalty_graphql_request_duration_seconds',
  help: 'GraphQL operations (HTTP requests, and queries and mutations over graphql-ws) by operation name, type, transport and outcome',
  labelNames: ['operation', 'type', 'transport', 'outcome'] as const,
  buckets: SECONDS,
  registers,
});

export const graphqlErrors = new Counter({
  name: 'loyalty_graphql_errors_total',
  help: 'Errors in GraphQL responses, by extensions.code',
  labelNames: ['code'] as const,
  registers,
});

export const earnBatchSize = new Histogram({
  name: 'loyalty_earn_batch_size',
  help: 'Earns written together in one group-commit batch',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
  registers,
});

export const outboxRelayLag = new Histogram({
  name: 'loyalty_outbox_relay_lag_seconds',
  help: "From an outbox event's commit (its row's time) to its publication to this instance's subscribers",
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30],
  registers,
});

export const liveSubscriptions = new Gauge({
  name: 'loyalty_live_subscriptions',
  help: 'Subscriptions running on this instance (graphql-ws)',
  registers,
});

export const webhookAttempts = new Counter({
  name: 'loyalty_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome (delivered: a 2xx answer; failed: anything else, retried on the schedule)',
  labelNames: ['outcome'] as const,
  registers,
});

export const webhookDeliveriesFailed = new Counter({
  name: 'loyalty_webhook_deliveries_failed_total',
  help: 'Webhook deliveries given up on: every attempt of the retry schedule failed',
  registers,
});

export const webhookDeliveryLag = new Histogram({
  name: 'loyalty_webhook_delivery_lag_seconds',
  help: 'From the event (the delivery row written with it) to its successful delivery, retries included',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000],
  registers,
});

/** Rows bulk imports have applied, by file kind (MEMBERS, EARNS) and outcome (imported, refused), counted as each batch commits. */
export const importRows = new Counter({
  name: 'loyalty_import_rows_total',
  help: 'Rows applied by bulk imports, by file kind and outcome (imported, refused)',
  labelNames: ['kind', 'outcome'] as const,
  registers,
});

export const jobRuns = new Counter({
  name: 'loyalty_job_runs_total',
  help: "Scheduled job runs by job and outcome (ok, skipped: another instance held the job's lock, error)",
  labelNames: ['job', 'outcome'] as const,
  registers,
});

export const jobDuration = new Histogram({
  name: 'loyalty_job_duration_seconds',
  help: 'Scheduled job run durations',
  labelNames: ['job'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
  registers,
});

export const draining = new Gauge({
  name: 'loyalty_draining',
  help: '1 while this instance drains for a shutdown (/readyz answers 503)',
  registers,
});

/** What the pool and socket gauges read when scraped. */
const pools = new Map<Pool, string>();
const liveServers = new Set<{ clients: { size: number } }>();

new Gauge({
  name: 'loyalty_db_pool_in_use',
  help: 'Database connections checked out of the pool',
  labelNames: ['pool'] as const,
  registers,
  collect() {
    this.reset();
    for (const [pool, name] of pools) this.inc({ pool: name }, pool.totalCount - pool.idleCount);
  },
});

new Gauge({
  name: 'loyalty_db_pool_waiting',
  help: 'Queries waiting for a database connection from the pool',
  labelNames: ['pool'] as const,
  registers,
  collect() {
    this.reset();
    for (const [pool, name] of pools) this.inc({ pool: name }, pool.waitingCount);
  },
});

new Gauge({
  name: 'loyalty_live_connections',
  help: 'Open WebSocket (graphql-ws) connections on this instance',
  registers,
  collect() {
    let open = 0;
    for (const wss of liveServers) open += wss.clients.size;
    this.set(open);
  },
});

/** Counts `pool` in the pool gauges until the returned function is called. */
export function watchPool(name: string, pool: Pool): () => void {
  pools.set(pool, name);
  return () => void pools.delete(pool);
}

/** Counts the sockets of a WebSocket server in loyalty_live_connections until the returned function is called. */
export function watchLiveServer(wss: { clients: { size: number } }): () => void {
  liveServers.add(wss);
  return () => void liveServers.delete(wss);
}

/** Times a job run; `ran` false: skipped (its lock was held elsewhere). */
export async function timeJob<T>(job: string, run: () => Promise<T>, ran: (result: T) => boolean = () => true): Promise<T> {
  const end = jobDuration.startTimer({ job });
  try {
    const result = await run();
    jobRuns.inc({ job, outcome: ran(result) ? 'ok' : 'skipped' });
    return result;
  } catch (err) {
    jobRuns.inc({ job, outcome: 'error' });
    throw err;
  } finally {
    end();
  }
}

const MAX_OPERATION_NAMES = 200;
const operationNames = new Set<string>();

/**
 * The operation label of a request: its name once it parsed and validated (`resolved`), while
 * fewer than MAX_OPERATION_NAMES names have been seen; "(anonymous)" for an unnamed operation,
 * "(invalid)" for one that never resolved, "(other)" past the cap.
 */
export function operationLabel(name: string | null | undefined, resolved: boolean): string {
  if (!resolved) return '(invalid)';
  if (!name) return '(anonymous)';
  if (operationNames.has(name)) return name;
  if (operationNames.size >= MAX_OPERATION_NAMES || !/^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name)) return '(other)';
  operationNames.add(name);
  return name;
}
