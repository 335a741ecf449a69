// Rate limits: fixed-window counters in PostgreSQL, so every gateway instance counts against the
// same budget. One upsert per counted request, on a pool of its own with synchronous_commit off:
// it never joins a request's transaction, and a counter row (one per key, member or IP) is locked
// only for the statement, not for a WAL flush, so one busy key's writes do not queue on an fsync.
// Losing a few increments in a crash is an acceptable price for a limiter.
import { Pool } from 'pg';
import { GuardedClient } from '../../db/guarded-client';
import { pgErrorCode } from '../../db/transaction';
import type { RateLimits } from '../../config';
import type { Logger } from '../../logger';
import { DomainError, rateLimited } from '../../errors/domain-error';
import type { Viewer } from '../auth/viewer';

const CLEANUP_INTERVAL_MS = 10 * 60_000;
const MAX_BLOCKED_REMEMBERED = 100_000;

// A statement that read the clock just before a window rolled over must not reset the newer one.
const HIT = `
  INSERT INTO rate_limit_counter AS c (bucket, window_start, hits)
  VALUES ($1, to_timestamp(floor(extract(epoch FROM clock_timestamp()) / $2::int) * $2::int), $3)
  ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN c.window_start >= EXCLUDED.window_start THEN c.hits + EXCLUDED.hits ELSE EXCLUDED.hits END,
    window_start = greatest(c.window_start, EXCLUDED.window_start)
  RETURNING hits, ceil(extract(epoch FROM window_start + make_interval(secs => $2::int) - clock_timestamp()) * 1000)::bigint AS "retryAfterMs"`;

interface Hit {
  hits: number;
  retryAfterMs: number;
}

export class RateLimitService {
  private readonly pool: Pool;
  /** IPs this instance saw go over the failed-authentication limit, until when (ms since epoch). */
  private readonly blockedIps = new Map<string, number>();
  private readonly cleanup: NodeJS.Timeout;
  /** Hits not yet sent, by bucket, and the buckets whose upsert is in flight (see hit()). */
  private readonly waiting = new Map<string, { hits: number; callers: { n: number; resolve(h: Hit): void; reject(e: unknown): void }[] }>();
  private readonly counting = new Set<string>();

  constructor(
    databaseUrl: string,
    private readonly limits: RateLimits,
    private readonly logger: Logger,
  ) {
    this.pool = new Pool({
      connectionString: databaseUrl,
      max: 2,
      options: '-c synchronous_commit=off -c jit=off',
      application_name: 'loyalty-gateway-rate-limit',
      connectionTimeoutMillis: 10_000,
      Client: GuardedClient,
    });
    // Not { err }: pg-pool hangs the whole pg client (connection settings and all) on the error.
    this.pool.on('error', (err) => this.logger.warn({ err: { message: err.message, code: pgErrorCode(err) } }, 'rate-limit pool connection lost'));
    this.cleanup = setInterval(() => void this.forgetOldWindows(), CLEANUP_INTERVAL_MS).unref();
  }

  /**
   * Counts `writes` mutation fields against the caller's budget (partner key or member; admins
   * are not limited) and refuses them once it is spent.
   */
  async consumeWrites(viewer: Viewer, writes: number): Promise<void> {
    const [bucket, limit] =
      viewer.kind === 'partner'
        ? [`key:${viewer.apiKeyId}`, this.limits.partnerWrites]
        : viewer.kind === 'member'
          ? [`member:${viewer.memberId}`, this.limits.memberWrites]
          : [null, 0];
    if (bucket === null || limit === 0 || writes === 0) return;
    const hit = await this.hit(bucket, writes);
    if (hit.hits > limit) {
      throw rateLimited(`Too many writes: at most ${limit} every ${this.limits.windowSeconds} s for this caller`, seconds(hit.retryAfterMs));
    }
  }

  /** Refuses an IP this instance knows to be over the failed-authentication limit (no database read). */
  refuseBlockedIp(ip: string): void {
    const until = this.blockedIps.get(ip);
    if (until === undefined) return;
    if (until <= Date.now()) {
      this.blockedIps.delete(ip);
      return;
    }
    throw this.tooManyFailures(until - Date.now());
  }

  /** Counts a failed authentication; the error to answer with instead once the IP is over the limit. */
  async authenticationFailed(ip: string): Promise<DomainError | null> {
    if (this.limits.authFailures === 0) return null;
    const hit = await this.hit(`auth-ip:${ip}`, 1);
    if (hit.hits <= this.limits.authFailures) return null;
    if (this.blockedIps.size >= MAX_BLOCKED_REMEMBERED) this.forgetExpiredBlocks();
    this.blockedIps.set(ip, Date.now() + hit.retryAfterMs);
    return this.tooManyFailures(hit.retryAfterMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.cleanup);
    await this.pool.end();
  }

  private tooManyFailures(retryAfterMs: number): DomainError {
    return rateLimited('Too many failed authentications from this address; try again later', seconds(retryAfterMs));
  }

  /**
   * Counts n hits on a bucket. Hits on one bucket wait while its upsert is in flight and then go
   * together in the next one (the first waits for the end of the event loop's turn), so a busy
   * key costs one statement per round trip rather than per request (and its counter row is not a
   * queue of row locks). Each caller still sees the count
   * it would have seen alone: the total before the upsert plus the hits up to and including its own.
   */
  private hit(bucket: string, n: number): Promise<Hit> {
    return new Promise((resolve, reject) => {
      let group = this.waiting.get(bucket);
      if (!group) this.waiting.set(bucket, (group = { hits: 0, callers: [] }));
      group.hits += n;
      group.callers.push({ n, resolve, reject });
      if (this.counting.has(bucket)) return;
      // Sent on the next turn of the event loop, with the hits of every request parsed in this one.
      this.counting.add(bucket);
      setImmediate(() => this.count(bucket));
    });
  }

  private count(bucket: string): void {
    const group = this.waiting.get(bucket);
    if (!group) {
      this.counting.delete(bucket);
      return;
    }
    this.waiting.delete(bucket);
    this.counting.add(bucket);
    this.pool
      .query<Hit>(HIT, [bucket, this.limits.windowSeconds, group.hits])
      .then(
        ({ rows }) => {
          const retryAfterMs = Math.max(0, Number(rows[0]!.retryAfterMs));
          let hits = Number(rows[0]!.hits) - group.hits;
          for (const c of group.callers) c.resolve({ hits: (hits += c.n), retryAfterMs });
        },
        (err: unknown) => group.callers.forEach((c) => c.reject(err)),
      )
      .finally(() => {
        this.counting.delete(bucket);
        this.count(bucket);
      });
  }

  private forgetExpiredBlocks(): void {
    const now = Date.now();
    for (const [ip, until] of this.blockedIps) if (until <= now) this.blockedIps.delete(ip);
    // Still full: the shared counter keeps refusing these addresses on their next failure anyway.
    if (this.blockedIps.size >= MAX_BLOCKED_REMEMBERED) this.blockedIps.clear();
  }

  private async forgetOldWindows(): Promise<void> {
    this.forgetExpiredBlocks();
    try {
      await this.pool.query(`DELETE FROM rate_limit_counter WHERE window_start < clock_timestamp() - make_interval(secs => $1::int)`, [
        2 * this.limits.windowSeconds,
      ]);
    } catch (err) {
      this.logger.warn({ err }, 'could not delete old rate-limit windows');
    }
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
