// Balance subscriptions held open through a chaos run, the way a member's app follows its wallet:
// balanceChanged(memberId, after) over graphql-ws, and whenever a subscription ends (an error, a
// closed socket) a new one resuming after the last event received. Afterwards each must have
// received every BALANCE_CHANGED event of its member exactly once, in order.
import WebSocket from 'ws';
import { Client, createClient } from 'graphql-ws';

const BALANCE_CHANGED = `subscription($memberId: ID!, $after: ID) {
  balanceChanged(memberId: $memberId, after: $after) { eventId balance { available } transaction { id } }
}`;

interface Follower {
  memberId: string;
  client: Client;
  /** Event ids received, in arrival order. */
  received: number[];
  resubscribed: number;
}

export class BalanceFollowers {
  /** One socket per credential. */
  private readonly clients = new Map<string, Client>();
  private readonly followers: Follower[] = [];
  private stopped = false;
  /** Every error a subscription saw, with its code ('uncoded' when none). */
  readonly errors: { memberId: string; code: string; message: string }[] = [];
  /** Ids delivered twice or out of order (each one a violation). */
  readonly misordered: string[] = [];
  private readonly unsubscribes = new Set<() => void>();

  constructor(private readonly wsUrl: string) {}

  private clientFor(token: string): Client {
    let client = this.clients.get(token);
    if (!client) {
      client = createClient({
        url: this.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: true,
        // Each subscription resumes itself (with `after`): the socket is never retried with a stale one.
        retryAttempts: 0,
      });
      this.clients.set(token, client);
    }
    return client;
  }

  /** Follows a member, as `token` (a partner key, say), from its first event (after: 0 replays the history first). */
  follow(memberId: string, token: string): void {
    const follower: Follower = { memberId, client: this.clientFor(token), received: [], resubscribed: 0 };
    this.followers.push(follower);
    this.subscribe(follower);
  }

  private subscribe(f: Follower): void {
    if (this.stopped) return;
    const after = String(f.received.at(-1) ?? 0);
    let ended = false;
    const again = () => {
      if (ended || this.stopped) return;
      ended = true;
      this.unsubscribes.delete(unsubscribe);
      f.resubscribed++;
      setTimeout(() => this.subscribe(f), 50 + Math.random() * 100);
    };
    const unsubscribe = f.client.subscribe<{ balanceChanged: { eventId: string } }>(
      { query: BALANCE_CHANGED, variables: { memberId: f.memberId, after } },
      {
        next: (result) => {
          for (const e of result.errors ?? []) this.noteError(f, e);
          const id = result.data ? Number(result.data.balanceChanged.eventId) : NaN;
          if (Number.isNaN(id)) return;
          const last = f.received.at(-1) ?? 0;
          if (id <= last) this.misordered.push(`member ${f.memberId}: event ${id} after ${last}`);
          f.received.push(id);
        },
        error: (err) => {
          if (Array.isArray(err)) for (const e of err) this.noteError(f, e);
          else if (err && typeof err === 'object' && 'code' in err) {
            const { code, reason } = err as { code: number; reason?: string };
            this.noteError(f, { message: `socket closed ${code} ${reason ?? ''}`, extensions: { code: `CLOSED_${code}` } });
          } else this.noteError(f, { message: String(err), extensions: { code: 'SOCKET_ERROR' } });
          again();
        },
        complete: again,
      },
    );
    this.unsubscribes.add(unsubscribe);
  }

  private noteError(f: Follower, e: { message?: string; extensions?: { code?: unknown } }): void {
    const code = typeof e.extensions?.code === 'string' ? e.extensions.code : 'uncoded';
    this.errors.push({ memberId: f.memberId, code, message: String(e.message ?? '') });
  }

  get resubscriptions(): number {
    return this.followers.reduce((s, f) => s + f.resubscribed, 0);
  }

  get delivered(): number {
    return this.followers.reduce((s, f) => s + f.received.length, 0);
  }

  /**
   * Waits (up to ms) until each follower has received exactly its member's stored events; returns
   * what is still missing or extra, as sentences.
   */
  async converge(storedEvents: (memberId: string) => Promise<number[]>, ms: number): Promise<string[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const problems: string[] = [];
      for (const f of this.followers) {
        const stored = await storedEvents(f.memberId);
        const got = new Set(f.received);
        const missing = stored.filter((id) => !got.has(id));
        const invented = f.received.filter((id) => !stored.includes(id));
        if (missing.length)
          problems.push(
            `subscription of member ${f.memberId} never received events ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}`,
          );
        if (invented.length) problems.push(`subscription of member ${f.memberId} received events that are not stored: ${invented.slice(0, 5).join(', ')}`);
      }
      if (problems.length === 0 || Date.now() > deadline) return problems;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    await Promise.all([...this.clients.values()].map((c) => c.dispose()));
  }
}
