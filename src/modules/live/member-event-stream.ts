// How an outbox event stream becomes a subscription, written once for balanceChanged, tierChanged
// and challengeCompleted (memberEventStream) and the rate stream (eventStream).
import type { Context } from '../../graphql/context';
import { requireId } from '../../errors/ids';
import { requireMemberAccess } from '../auth/policy';
import type { OutboxEvent } from './outbox-event';

/**
 * Each event mapped to what the subscription returns, its relations read through fresh loaders: a
 * subscription lives for hours and must not answer from the first event's cache. return() and
 * throw() go straight to the source, which releases its live queue at once (a wrapping async
 * generator would see them only when the next event came, perhaps never).
 */
export function eventStream<T>(ctx: Context, events: AsyncIterableIterator<OutboxEvent>, map: (event: OutboxEvent) => T): AsyncIterableIterator<T> {
  return {
    async next() {
      const result = await events.next();
      if (result.done) return { done: true, value: undefined };
      ctx.renewLoaders();
      return { done: false, value: map(result.value) };
    },
    async return() {
      await events.return?.();
      return { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      if (!events.throw) throw err;
      await events.throw(err);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** The arguments of every member subscription (memberId: ID!, after: ID). */
export interface MemberStreamArgs {
  memberId: string;
  after?: string | null;
}

/**
 * One member's events of a topic, for a viewer who may see that member: the events missed after
 * `after` first (replayed from the outbox), then live ones from the relay, each mapped by map.
 * `partnerScope`: only the events of that partner and the coalition's (a partner's view of
 * another partner's challenges, see policy.challengePartnerScope).
 */
export function memberEventStream<T>(
  ctx: Context,
  topic: OutboxEvent['topic'],
  memberIdInput: string,
  after: string | null | undefined,
  map: (event: OutboxEvent) => T,
  partnerScope: string | null = null,
): AsyncIterableIterator<T> {
  const memberId = requireId(memberIdInput, 'memberId');
  requireMemberAccess(ctx.viewer, memberId);
  return eventStream(ctx, ctx.services.live.memberEvents(memberId, topic, after, partnerScope), map);
}
