// Relays committed outbox events to this instance's subscribers. Every gateway instance runs one
// and reads the same table, so every instance sees every event. Writers never NOTIFY inside their
// transaction (it serialises commits cluster-wide); after commit they call nudge(), which sends at
// most one NOTIFY per event-loop turn to wake the other instances. A slow poll is the safety net
// for a lost notification.
//
// Ordering: a member's writes serialise on its wallet lock and insert their event after taking
// it, so per member, id order is commit order. Ids of concurrent transactions can commit out of
// order, so an id skipped over (a hole) is remembered and looked for again on every poll until it
// shows up or GAP_TIMEOUT_MS passes (then it belonged to a rolled-back transaction).
import type { Pool } from '../../db/sql';
import { randomUUID } from 'node:crypto';
import { GuardedClient } from '../../db/guarded-client';
import type { Logger } from '../../logger';
import { outboxRelayLag } from '../../metrics';
import { query, queryOne } from '../../db/sql';
import { LocalBus } from './local-bus';
import { OUTBOX_COLUMNS, OutboxEvent } from './outbox-event';

const CHANNEL = 'outbox_event';
const BATCH = 1000;
const GAP_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 1_000;
const RECONNECT_MS = 1_000;
const MAX_HOLES = 10_000;
const PURGE_INTERVAL_MS = 3_600_000;

export class OutboxRelay {
  /** Highest id delivered. */
  private high = 0;
  /** Ids below `high` not seen yet, with when they were first missed. */
  private readonly holes = new Map<number, number>();
  private polling: Promise<void> | null = null;
  private again = false;
  private notifyQueued = false;
  private listener: GuardedClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Sent with this instance's NOTIFYs, so it can skip its own. */
  private readonly instanceId = randomUUID();

  constructor(
    private readonly db: Pool,
    private readonly databaseUrl: string,
    readonly bus: LocalBus,
    private readonly logger: Logger,
    /** How long events stay replayable with `after`. */
    private readonly retentionDays = 7,
  ) {}

  async start(): Promise<void> {
    // Live delivery starts at the newest committed event; older ones are for subscribers resuming
    // with `after`. But a transaction still in flight now may hold a lower id and commit a moment
    // later: so every id missing from the last MAX_HOLES below the start is a hole, watched like any
    // other until it shows up or GAP_TIMEOUT_MS passes. One statement, so one snapshot: an id that
    // commits between reading the max and listing the missing ones cannot slip through as present.
    const start = (await queryOne<{ max: number; missing: number[] }>(
      this.db,
      `WITH top AS (SELECT coalesce(max(id), 0)::bigint AS max FROM outbox_event)
       SELECT top.max, array(SELECT g FROM generate_series(greatest(top.max - ${MAX_HOLES}, 1), top.max - 1) g
                              WHERE NOT EXISTS (SELECT 1 FROM outbox_event e WHERE e.id = g)) AS missing
         FROM top`,
    ))!;
    this.high = start.max;
    const now = Date.now();
    for (const id of start.missing) this.holes.set(Number(id), now);
    await this.listen();
    this.timer = setInterval(() => this.poll(), POLL_INTERVAL_MS);
    this.purgeTimer = setInterval(() => void this.purge().catch((err) => this.logger.warn({ err }, 'outbox purge failed')), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.polling;
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * Forget events older than the retention (resuming subscribers can replay up to that far back).
   * Every instance may run it; deleting the same old rows twice is harmless.
   */
  async purge(): Promise<number> {
    const gone = await query(this.db, `DELETE FROM outbox_event WHERE created_at < now() - make_interval(days => $1) RETURNING id`, [this.retentionDays]);
    return gone.length;
  }

  /** Called after a write commits: deliver here at once, and wake the other instances. */
  nudge(): void {
    void this.poll();
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    setImmediate(() => {
      this.notifyQueued = false;
      query(this.db, `SELECT pg_notify('${CHANNEL}', $1)`, [this.instanceId]).catch((err) =>
        this.logger.warn({ err }, 'outbox NOTIFY failed; relays will poll'),
      );
    });
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new GuardedClient({ connectionString: this.databaseUrl, application_name: 'loyalty-gateway-relay' });
    // Our own NOTIFY comes back to us too; nudge() has polled already.
    client.on('notification', (n) => {
      if (n.payload !== this.instanceId) void this.poll();
    });
    // One reconnection per lost client: a connection that dies during LISTEN both fails that query
    // and emits 'error', and two reconnections would leave two listeners.
    let lost = false;
    const reconnect = (err: unknown, msg: string) => {
      if (lost) return;
      lost = true;
      this.logger.warn({ err }, msg);
      if (this.listener === client) this.listener = null;
      client.end().catch(() => undefined);
      setTimeout(() => void this.listen().catch(() => undefined), RECONNECT_MS).unref();
    };
    client.on('error', (err) => reconnect(err, 'outbox listener lost its connection; reconnecting'));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (lost) return;
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.listener = client;
      void this.poll(); // catch up on whatever committed while we were not listening
    } catch (err) {
      reconnect(err, 'outbox listener could not connect; retrying');
    }
  }

  /** One poll at a time; a request during a poll runs one more right after it. */
  poll(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.polling) {
      this.again = true;
      return this.polling;
    }
    this.polling = (async () => {
      try {
        do {
          this.again = false;
          const full = await this.pollOnce();
          if (full) this.again = true;
        } while (this.again && !this.stopped);
      } catch (err) {
        this.logger.warn({ err }, 'outbox poll failed; will retry');
      } finally {
        this.polling = null;
      }
    })();
    return this.polling;
  }

  private async pollOnce(): Promise<boolean> {
    const fresh = await query<OutboxEvent>(this.db, `SELECT ${OUTBOX_COLUMNS} FROM outbox_event WHERE id > $1 ORDER BY id LIMIT ${BATCH}`, [this.high]);
    const filled =
      this.holes.size > 0
        ? await query<OutboxEvent>(this.db, `SELECT ${OUTBOX_COLUMNS} FROM outbox_event WHERE id = ANY($1::bigint[]) ORDER BY id`, [[...this.holes.keys()]])
        : [];
    const publishedAt = Date.now();
    for (const event of [...filled, ...fresh].sort((a, b) => a.id - b.id)) {
      outboxRelayLag.observe(Math.max(0, publishedAt - new Date(event.createdAt).getTime()) / 1000);
      if (this.holes.delete(event.id)) {
        this.bus.publish(event);
        continue;
      }
      const now = Date.now();
      // Remember what we jump over (bounded: a huge jump is a long run of rolled-back ids).
      for (let id = Math.max(this.high + 1, event.id - MAX_HOLES); id < event.id; id++) this.holes.set(id, now);
      this.high = event.id;
      this.bus.publish(event);
    }
    const expired = Date.now() - GAP_TIMEOUT_MS;
    for (const [id, since] of this.holes) if (since < expired) this.holes.delete(id);
    return fresh.length === BATCH;
  }
}
