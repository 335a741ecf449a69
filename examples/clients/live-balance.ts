// graphql-ws: a member's balance, live, with no event missed or repeated across reconnections.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws'; // in a browser, omit it and webSocketImpl

export interface BalanceUpdate {
  eventId: string;
  balance: { available: number; pending: number };
  transaction: { type: string; points: number; partner: { slug: string } | null } | null;
}

const BALANCE_CHANGED = `subscription($m: ID!, $after: ID) {
  balanceChanged(memberId: $m, after: $after) {
    eventId balance { available pending } transaction { type points partner { slug } } } }`;

// Close codes that reconnecting cannot cure: bad request, bad or ended credentials, too many failures.
const FINAL = new Set([4400, 4401, 4403, 4429, 4500]);

/**
 * Calls onUpdate for each change of the member's balance: first every event after `after` (if
 * given), then live ones. A dropped connection (a restart, or 4008 for a client that fell
 * behind) resumes after the last event received; onError gets what cannot be retried.
 * Returns a function that stops following.
 */
export function followBalance(
  url: string,
  token: string,
  memberId: string,
  onUpdate: (update: BalanceUpdate) => void,
  onError: (err: unknown) => void,
  after?: string,
): () => Promise<void> {
  // Reconnecting is done here, not by graphql-ws: it would resubscribe with the first `after`.
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  let lastEventId = after;
  let stopped = false;
  let unsubscribe = () => {};
  const follow = () => {
    if (stopped) return;
    unsubscribe = client.subscribe<{ balanceChanged: BalanceUpdate }>(
      { query: BALANCE_CHANGED, variables: { m: memberId, after: lastEventId } },
      {
        next: ({ data, errors }) => {
          if (errors) return onError(errors);
          if (!data) return;
          lastEventId = data.balanceChanged.eventId;
          onUpdate(data.balanceChanged);
        },
        error: (err: unknown) => {
          if (stopped) return;
          const code = (err as { code?: unknown } | null)?.code;
          // GraphQL errors (a refused subscription) and the codes above stay refused.
          if (Array.isArray(err) || (typeof code === 'number' && FINAL.has(code))) onError(err);
          else setTimeout(follow, 1000); // a real app backs off
        },
        complete: () => {},
      },
    );
  };
  follow();
  return async () => {
    stopped = true;
    unsubscribe();
    await client.dispose();
  };
}
