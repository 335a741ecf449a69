// Live event streams for subscriptions: replay what a resuming subscriber missed (from the
// outbox, kept EVENT_RETENTION), then follow live events from the relay, without duplicates.
import { DataSource } from 'typeorm';
import { badInput } from '../../errors/domain-error';
import { query } from '../../db/sql';
import { OutboxRelay } from './outbox-relay';
import { OUTBOX_COLUMNS, OutboxEvent, memberChannel, rateChannel } from './outbox-event';

const MAX_REPLAY = 10_000;

function parseAfter(after: string | null | undefined): number | null {
  if (after === undefined || after === null) return null;
  if (!/^\d{1,18}$/.test(after)) throw badInput('after', 'not an eventId from this stream');
  return Number(after);
}

export class LiveService {
  constructor(
    private readonly db: DataSource,
    private readonly relay: OutboxRelay,
  ) {}

  /** A member's events of one topic: missed ones after `after` first, then live, in commit order. */
  async *memberEvents(memberId: string, topic: OutboxEvent['topic'], afterInput?: string | null): AsyncGenerator<OutboxEvent> {
    let last = parseAfter(afterInput);
    // Subscribe before reading the backlog so nothing committed in between is lost; the id check
    // drops what the backlog already delivered.
    const live = this.relay.bus.subscribe(memberChannel(memberId));
    try {
      if (last !== null) {
        const missed = await query<OutboxEvent>(
          this.db,
          `SELECT ${OUTBOX_COLUMNS} FROM outbox_event WHERE member_id = $1 AND topic = $2 AND id > $3 ORDER BY id LIMIT ${MAX_REPLAY}`,
          [memberId, topic, last],
        );
        for (const event of missed) {
          last = event.id;
          yield event;
        }
      }
      for await (const event of live) {
        if (event.topic !== topic || (last !== null && event.id <= last)) continue;
        last = event.id;
        yield event;
      }
    } finally {
      await live.return();
    }
  }

  /** Rate changes of one partner, or of all partners when partnerId is null. Live only. */
  async *rateEvents(partnerId: string | null): AsyncGenerator<OutboxEvent> {
    const live = this.relay.bus.subscribe(rateChannel(partnerId));
    try {
      for await (const event of live) yield event;
    } finally {
      await live.return();
    }
  }
}
