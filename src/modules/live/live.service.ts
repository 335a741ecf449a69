// Live event streams for subscriptions: replay what a resuming subscriber missed (from the
// outbox, kept OUTBOX_RETENTION_DAYS), then follow live events from the relay, without duplicates.
import type { Pool } from '../../db/sql';
import { badInput } from '../../errors/domain-error';
import { query } from '../../db/sql';
import { EventQueue } from './event-queue';
import { OutboxRelay } from './outbox-relay';
import { OUTBOX_COLUMNS, OutboxEvent, memberChannel, rateChannel } from './outbox-event';

/** Backlog rows read per query when a subscriber resumes: memory stays bounded however far behind it is. */
export const REPLAY_PAGE_SIZE = 1000;

interface StreamState {
  /** The live queue, once the backlog is read. */
  live: EventQueue<OutboxEvent> | null;
  /** The subscriber left. */
  ended: boolean;
}

function parseAfter(after: string | null | undefined): number | null {
  if (after === undefined || after === null) return null;
  if (!/^\d{1,18}$/.test(after)) throw badInput('after', 'not an eventId from this stream');
  return Number(after);
}

export class LiveService {
  constructor(
    private readonly db: Pool,
    private readonly relay: OutboxRelay,
    private readonly replayPageSize = REPLAY_PAGE_SIZE,
  ) {}

  /**
   * A member's events of one topic: missed ones after `after` first, then live, in commit order.
   * return() (the subscriber leaves) releases the live queue at once: an async generator waiting
   * for the next event would only see the request when that event came, perhaps never.
   * `partnerScope`, for topics whose partner_id names the event's owner (CHALLENGE_COMPLETED: the
   * challenge's partner), keeps only events with no owner or owned by that partner.
   */
  memberEvents(
    memberId: string,
    topic: OutboxEvent['topic'],
    afterInput?: string | null,
    partnerScope: string | null = null,
  ): AsyncIterableIterator<OutboxEvent> {
    const state: StreamState = { live: null, ended: false };
    const events = this.stream(memberId, topic, parseAfter(afterInput), state, partnerScope);
    const end = async () => {
      state.ended = true;
      await state.live?.return();
    };
    return {
      next: () => events.next(),
      return: async () => {
        await end();
        return events.return(undefined);
      },
      throw: async (err?: unknown) => {
        await end();
        return events.throw(err);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private async *stream(
    memberId: string,
    topic: OutboxEvent['topic'],
    after: number | null,
    state: StreamState,
    partnerScope: string | null,
  ): AsyncGenerator<OutboxEvent> {
    let last = after;
    // Resuming: page through the whole backlog first, at the subscriber's pace, before following
    // live events, so a long replay neither holds it in memory nor piles live events up meanwhile.
    if (last !== null) {
      for await (const event of this.backlog(memberId, topic, last, partnerScope)) {
        last = event.id;
        yield event;
      }
    }
    if (state.ended) return;
    // Subscribe, then read the backlog once more, so nothing committed in between is lost; the id
    // check drops live events that read already delivered. (Per member, id order is commit order.)
    const live = (state.live = this.relay.bus.subscribe(memberChannel(memberId)));
    try {
      if (last !== null) {
        for await (const event of this.backlog(memberId, topic, last, partnerScope)) {
          last = event.id;
          yield event;
        }
      }
      for await (const event of live) {
        if (event.topic !== topic || (last !== null && event.id <= last)) continue;
        if (partnerScope !== null && event.partnerId !== null && event.partnerId !== partnerScope) continue;
        last = event.id;
        yield event;
      }
    } finally {
      await live.return();
    }
  }

  /** Every stored event of the member and topic after `after`, in id order, a page at a time, until caught up. */
  private async *backlog(memberId: string, topic: OutboxEvent['topic'], after: number, partnerScope: string | null): AsyncGenerator<OutboxEvent> {
    for (let from = after; ;) {
      const page = await query<OutboxEvent>(
        this.db,
        `SELECT ${OUTBOX_COLUMNS} FROM outbox_event WHERE member_id = $1 AND topic = $2 AND id > $3
            AND ($5::uuid IS NULL OR partner_id IS NULL OR partner_id = $5) ORDER BY id LIMIT $4`,
        [memberId, topic, from, this.replayPageSize, partnerScope],
      );
      yield* page;
      if (page.length < this.replayPageSize) return;
      from = page[page.length - 1]!.id;
    }
  }

  /** Rate changes of one partner, or of all partners when partnerId is null. Live only; return() releases it at once. */
  rateEvents(partnerId: string | null): AsyncIterableIterator<OutboxEvent> {
    return this.relay.bus.subscribe(rateChannel(partnerId));
  }
}
