// The only reader of process.env: parse once at boot, validate, freeze.
// A bad value stops the process with a message naming the variable.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

/** Per-request ceilings on a GraphQL document, checked before anything executes (see src/graphql/validation.ts). */
export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxTokens: number;
  /** Each field costs 1, its subtree multiplied by the size of its list (`first`, a declared maximum, or the real length). */
  readonly maxCost: number;
  /** List items and objects one response may hold (checked while it executes). */
  readonly maxResponseObjects: number;
}

/** Fixed-window counters shared by every instance through PostgreSQL; 0 switches a limit off. */
export interface RateLimits {
  readonly windowSeconds: number;
  /** Mutation root fields per partner API key per window. */
  readonly partnerWrites: number;
  /** Mutation root fields per member per window. */
  readonly memberWrites: number;
  /** Failed authentications per client IP per window; past it, that IP is refused until the window ends. */
  readonly authFailures: number;
}

/** Webhook delivery (modules/webhook): Standard Webhooks over HTTP POST, retried on a schedule. */
export interface WebhookSettings {
  /** Seconds to wait before each retry after a failed attempt; past the last, the delivery fails. */
  readonly retrySchedule: readonly number[];
  /** Private, loopback and link-local targets in production (always allowed outside it). */
  readonly allowPrivateTargets: boolean;
  /** Per attempt: connect, send and the receiver's answer. */
  readonly timeoutMs: number;
  /** How often each instance looks for due deliveries (it is also woken by its own commits). */
  readonly pollIntervalMs: number;
  /** Deliveries one instance attempts at once. */
  readonly concurrency: number;
}

export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly production: boolean;
  readonly port: number;
  /** The address to listen on; null: every interface. */
  readonly host: string | null;
  /** null: start an embedded PostgreSQL under dataDir. */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly adminToken: string;
  /** true when ADMIN_TOKEN was not set and a random one was generated for this run. */
  readonly adminTokenGenerated: boolean;
  /** null: the secret is generated once and kept in the database (shared by every instance). */
  readonly tokenSecret: string | null;
  /** The HMAC key of erased members' email hashes; null: generated once and kept in the database, like tokenSecret. */
  readonly erasureHashSecret: string | null;
  readonly memberTokenTtlSeconds: number;
  /** How long a staff token from staffLogin works. */
  readonly staffTokenTtlSeconds: number;
  readonly dbPoolSize: number;
  /** Group commit for earnPoints: batches in flight at once (0: one transaction per earn), and earns per batch. */
  readonly earnBatchWriters: number;
  readonly earnBatchSize: number;
  readonly seedDemo: boolean;
  /** The built web apps (console, till, wallet) served at `/`; not served when the folder has no index.html. */
  readonly webDir: string;
  readonly logLevel: string;
  /** Events a live subscription may fall behind by before it is ended (it can resume with `after`). */
  readonly liveQueueLimit: number;
  /** Bytes a WebSocket may have unsent before its client counts as too slow and is disconnected. */
  readonly liveMaxBufferedBytes: number;
  /** Subscriptions one socket may hold at once; the next is refused with TOO_MANY_SUBSCRIPTIONS. */
  readonly liveMaxSubscriptionsPerSocket: number;
  /** Sockets one client address may hold open on this instance (0: no limit); the next is closed with 4029. */
  readonly liveMaxSocketsPerIp: number;
  /** How often the tier downgrade evaluation runs in the background (0: never; use npm run tiers:evaluate). */
  readonly tierEvaluationIntervalSeconds: number;
  /** How often the points lifecycle jobs (expiry, pending release, birthdays) run (0: never; use npm run points:expire). */
  readonly pointsLifecycleIntervalSeconds: number;
  /** Schema introspection (and "Did you mean …?" hints): on outside production unless ALLOW_INTROSPECTION says otherwise. */
  readonly allowIntrospection: boolean;
  readonly queryLimits: QueryLimits;
  readonly rateLimits: RateLimits;
  /** Proxies in front of the gateway whose X-Forwarded-For entries are trusted to name the client IP. */
  readonly trustProxyHops: number;
  /** Days outbox events stay replayable for subscribers resuming with `after` (≥ 1). */
  readonly outboxRetentionDays: number;
  /** Currency the coalition's own (program-funded) points are valued in, and a point's value in it. */
  readonly coalitionCurrency: string;
  readonly coalitionPointValue: string;
  readonly webhooks: WebhookSettings;
  readonly imports: ImportSettings;
  /** A port serving only GET /metrics, without a token (null: none; /metrics on PORT then needs loopback or a token). */
  readonly metricsPort: number | null;
  /** After SIGTERM, how long /readyz answers 503 while requests are still taken, before the listener closes. */
  readonly shutdownDelaySeconds: number;
  /** After the listener closes, how long in-flight requests get to finish before their connections are cut. */
  readonly shutdownGraceSeconds: number;
}

/** Member and earn files (modules/bulk). */
export interface ImportSettings {
  /** Data rows one file may have; a longer file fails as a whole, nothing written. */
  readonly maxRows: number;
  /** How far back an imported earn's occurredAt may lie, in days. */
  readonly maxBackdateDays: number;
  /** Rows applied per database transaction. */
  readonly batchRows: number;
  /** How often each instance looks for jobs to resume (a crashed instance's), in ms. */
  readonly sweepIntervalMs: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function currency(env: Env, name: string, fallback: string): string {
  const raw = (env[name] || fallback).toUpperCase();
  if (!/^[A-Z]{3}$/.test(raw)) throw new ConfigError(`${name} must be an ISO 4217 code such as MYR, got "${raw}"`);
  return raw;
}

function decimal(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  if (!/^\d{1,12}(\.\d{1,8})?$/.test(raw) || Number(raw) === 0) throw new ConfigError(`${name} must be a positive decimal such as 0.01, got "${raw}"`);
  return raw;
}

/** WEBHOOK_RETRY_SCHEDULE: seconds between attempts, e.g. "5,300,1800" (decimals allowed, for tests). */
function retrySchedule(env: Env, name: string, fallback: string): number[] {
  const raw = env[name] || fallback;
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length > 50 || !parts.every((s) => /^\d{1,6}(\.\d{1,3})?$/.test(s))) {
    throw new ConfigError(`${name} must be a comma-separated list of at most 50 numbers of seconds, such as 5,300,1800, got "${raw}"`);
  }
  return Object.freeze(parts.map(Number)) as number[];
}

/** HOST: an address or a host name of this machine; `0.0.0.0` (or `::`) for every interface. */
function host(env: Env, fallback: string | null): string | null {
  const raw = env.HOST;
  if (raw === undefined || raw === '') return fallback;
  const hostname = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
  if (isIP(raw) === 0 && !hostname.test(raw)) throw new ConfigError(`HOST must be an IP address or a host name such as 127.0.0.1 or 0.0.0.0, got "${raw}"`);
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnvRaw = env.NODE_ENV ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnvRaw}"`);
  }
  const nodeEnv = nodeEnvRaw as Config['nodeEnv'];
  const adminTokenRaw = env.ADMIN_TOKEN;
  if (adminTokenRaw !== undefined && adminTokenRaw !== '' && adminTokenRaw.length < 16) {
    throw new ConfigError('ADMIN_TOKEN must be at least 16 characters');
  }
  const tokenSecret = env.TOKEN_SECRET ? env.TOKEN_SECRET : null;
  if (tokenSecret !== null && tokenSecret.length < 32) {
    throw new ConfigError('TOKEN_SECRET must be at least 32 characters');
  }
  const erasureHashSecret = env.ERASURE_HASH_SECRET ? env.ERASURE_HASH_SECRET : null;
  if (erasureHashSecret !== null && erasureHashSecret.length < 32) {
    throw new ConfigError('ERASURE_HASH_SECRET must be at least 32 characters');
  }
  const databaseUrl = env.DATABASE_URL ? env.DATABASE_URL : null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  return Object.freeze({
    nodeEnv,
    production: nodeEnv === 'production',
    port: integer(env, 'PORT', 4000, 0, 65535),
    // Outside production only this machine may connect (a development server with a generated
    // admin token and demo keys); in production, every interface (behind a proxy or in a container).
    host: host(env, nodeEnv === 'production' ? null : '127.0.0.1'),
    databaseUrl,
    dataDir: env.DATA_DIR || '.data',
    adminToken: adminTokenRaw || `adm_${randomBytes(24).toString('base64url')}`,
    adminTokenGenerated: !adminTokenRaw,
    tokenSecret,
    erasureHashSecret,
    memberTokenTtlSeconds: integer(env, 'MEMBER_TOKEN_TTL_SECONDS', 24 * 3600, 60, 90 * 24 * 3600),
    // A working day: staff sign in again each morning; a lost token is worth little for long.
    staffTokenTtlSeconds: integer(env, 'STAFF_TOKEN_TTL_SECONDS', 8 * 3600, 60, 7 * 24 * 3600),
    // PostgreSQL does best with about 2 × cores active connections; queue in the app beyond that.
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 8, 1, 200),
    // Each batch holds one pooled connection; fewer writers make bigger batches (one writer was
    // fastest in bench/), two keep earns flowing while one batch waits on a busy member's wallet.
    earnBatchWriters: integer(env, 'EARN_BATCH_WRITERS', 2, 1, 64),
    earnBatchSize: integer(env, 'EARN_BATCH_SIZE', 64, 1, 1000),
    seedDemo: bool(env, 'SEED_DEMO', true),
    webDir: env.WEB_DIR || 'web/dist',
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    liveQueueLimit: integer(env, 'LIVE_QUEUE_LIMIT', 1000, 1, 1_000_000),
    liveMaxBufferedBytes: integer(env, 'LIVE_MAX_BUFFERED_BYTES', 1_048_576, 1024, 1 << 30),
    // Each subscription costs memory and a share of every fan-out: a screen needs a handful.
    liveMaxSubscriptionsPerSocket: integer(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET', 50, 1, 10_000),
    // Generous, since a shop's tills or an office share one address behind NAT; 0 switches it off
    // (e.g. behind a proxy when TRUST_PROXY_HOPS cannot name the client).
    liveMaxSocketsPerIp: integer(env, 'LIVE_MAX_SOCKETS_PER_IP', 100, 0, 1_000_000),
    tierEvaluationIntervalSeconds: integer(env, 'TIER_EVALUATION_INTERVAL_SECONDS', 3600, 0, 7 * 86400),
    pointsLifecycleIntervalSeconds: integer(env, 'POINTS_LIFECYCLE_INTERVAL_SECONDS', 3600, 0, 7 * 86400),
    allowIntrospection: bool(env, 'ALLOW_INTROSPECTION', nodeEnv !== 'production'),
    queryLimits: Object.freeze({
      maxDepth: integer(env, 'MAX_QUERY_DEPTH', 10, 1, 1000),
      maxAliases: integer(env, 'MAX_QUERY_ALIASES', 15, 0, 10_000),
      maxDirectives: integer(env, 'MAX_QUERY_DIRECTIVES', 20, 0, 10_000),
      maxTokens: integer(env, 'MAX_QUERY_TOKENS', 1000, 50, 1_000_000),
      maxCost: integer(env, 'MAX_QUERY_COST', 5000, 1, 100_000_000),
      maxResponseObjects: integer(env, 'MAX_RESPONSE_OBJECTS', 10_000, 1, 100_000_000),
    }),
    rateLimits: Object.freeze({
      windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86400),
      partnerWrites: integer(env, 'RATE_LIMIT_PARTNER_WRITES', 12_000, 0, 100_000_000),
      memberWrites: integer(env, 'RATE_LIMIT_MEMBER_WRITES', 60, 0, 100_000_000),
      authFailures: integer(env, 'RATE_LIMIT_AUTH_FAILURES', 30, 0, 100_000_000),
    }),
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    outboxRetentionDays: integer(env, 'OUTBOX_RETENTION_DAYS', 7, 1, 3650),
    coalitionCurrency: currency(env, 'COALITION_CURRENCY', 'MYR'),
    coalitionPointValue: decimal(env, 'COALITION_POINT_VALUE', '0.01'),
    webhooks: Object.freeze({
      // About a day and a half in all before a delivery fails (and its endpoint, if failing all along, is deactivated).
      retrySchedule: retrySchedule(env, 'WEBHOOK_RETRY_SCHEDULE', '5,300,1800,7200,18000,36000,36000'),
      allowPrivateTargets: bool(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', false),
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 5000, 100, 60_000),
      pollIntervalMs: integer(env, 'WEBHOOK_POLL_INTERVAL_MS', 1000, 10, 60_000),
      concurrency: integer(env, 'WEBHOOK_CONCURRENCY', 8, 1, 256),
    }),
    imports: Object.freeze({
      maxRows: integer(env, 'IMPORT_MAX_ROWS', 1_000_000, 1, 100_000_000),
      maxBackdateDays: integer(env, 'IMPORT_MAX_BACKDATE_DAYS', 7, 0, 3650),
      batchRows: integer(env, 'IMPORT_BATCH_ROWS', 1000, 1, 10_000),
      sweepIntervalMs: integer(env, 'IMPORT_SWEEP_INTERVAL_MS', 10_000, 100, 3_600_000),
    }),
    metricsPort: env.METRICS_PORT ? integer(env, 'METRICS_PORT', 0, 0, 65535) : null,
    shutdownDelaySeconds: integer(env, 'SHUTDOWN_DELAY_SECONDS', 0, 0, 300),
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 10, 1, 600),
  });
}
