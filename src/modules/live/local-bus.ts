// In-process fan-out from the outbox relay to this instance's subscriptions.
import { EventQueue } from './event-queue';
import { API_KEY_CHANNEL, OutboxEvent, memberChannel, rateChannel } from './outbox-event';

export class LocalBus {
  private readonly channels = new Map<string, Set<EventQueue<OutboxEvent>>>();

  constructor(private readonly queueLimit: number) {}

  subscribe(channel: string): EventQueue<OutboxEvent> {
    const subscribers = this.channels.get(channel) ?? new Set();
    this.channels.set(channel, subscribers);
    const queue: EventQueue<OutboxEvent> = new EventQueue(this.queueLimit, () => {
      subscribers.delete(queue);
      if (subscribers.size === 0) this.channels.delete(channel);
    });
    subscribers.add(queue);
    return queue;
  }

  publish(event: OutboxEvent): void {
    const channels =
      event.topic === 'EXCHANGE_RATE_CHANGED'
        ? [rateChannel(event.partnerId), rateChannel(null)]
        : event.topic === 'API_KEY_REVOKED'
          ? [API_KEY_CHANNEL]
          : event.memberId
            ? [memberChannel(event.memberId)]
            : [];
    for (const channel of channels) for (const queue of this.channels.get(channel) ?? []) queue.push(event);
  }

  get subscriptionCount(): number {
    let n = 0;
    for (const s of this.channels.values()) n += s.size;
    return n;
  }
}
