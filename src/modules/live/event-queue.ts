// A bounded async queue: one per live subscription. A subscriber that falls more than `limit`
// events behind is failed rather than letting memory grow; the live socket answers that failure by
// disconnecting the client (4008), which resumes with `after`.
import { DomainError, ErrorCode } from '../../errors/domain-error';

export class SlowSubscriberError extends DomainError {
  constructor() {
    super(ErrorCode.SUBSCRIBER_TOO_SLOW, 'This subscription fell too far behind and was ended; resubscribe with after: <last eventId> to resume');
  }
}

export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private failed: Error | null = null;
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly onClose: () => void,
  ) {}

  push(item: T): void {
    if (this.closed || this.failed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
    } else if (this.items.length >= this.limit) {
      this.failed = new SlowSubscriberError();
      this.onClose();
    } else {
      this.items.push(item);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.items.length = 0;
      this.onClose();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
