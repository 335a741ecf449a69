// Live balance and tier over graphql-ws. When the connection drops, the subscription is opened
// again with `after: <the last eventId seen>`, so the gateway replays what was missed (in order)
// before going live: no event lost, none applied twice. Apollo writes each event's member into
// its cache, so every screen showing the balance or tier updates.
import { createContext, useContext, useEffect, useState } from 'react';
import { useApolloClient } from '@apollo/client/react';
import type { Client } from 'graphql-ws';
import { graphql } from '../gql';

export const LiveContext = createContext<Client | null>(null);

const LiveBalance = graphql(`
  subscription LiveBalance($memberId: ID!, $after: ID) {
    balanceChanged(memberId: $memberId, after: $after) {
      eventId
      balance {
        available
        pending
        lifetimeEarned
        qualifyingPoints
      }
      member {
        id
        balance {
          available
          pending
          lifetimeEarned
          qualifyingPoints
        }
        tier {
          id
          name
          rank
        }
        nextTier {
          id
          name
          qualifyingPoints
        }
        pointsToNextTier
      }
      transaction {
        id
        type
        points
      }
    }
  }
`);

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/** Follows the member; answers the connection state and how many events arrived. */
export function useLiveMember(memberId: string, onEvent?: () => void): { state: LiveState; events: number } {
  const client = useApolloClient();
  const ws = useContext(LiveContext);
  const [state, setState] = useState<LiveState>('connecting');
  const [events, setEvents] = useState(0);
  useEffect(() => {
    let stopped = false;
    let after: string | null = null;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sub: { unsubscribe(): void } | undefined;
    const offConnected = ws?.on('connected', () => {
      attempt = 0;
      setState('live');
    });
    const offClosed = ws?.on('closed', () => !stopped && setState('reconnecting'));
    const again = () => {
      if (stopped) return;
      setState('reconnecting');
      // 0.5 s, 1 s, 2 s … at most 15 s between tries.
      const delay = Math.min(15_000, 500 * 2 ** attempt++);
      timer = setTimeout(start, delay);
    };
    function start() {
      sub = client.subscribe({ query: LiveBalance, variables: { memberId, after } }).subscribe({
        next: (result) => {
          const update = result.data?.balanceChanged;
          if (!update) return;
          after = update.eventId;
          setEvents((n) => n + 1);
          onEvent?.();
        },
        error: again,
        complete: again,
      });
    }
    start();
    return () => {
      stopped = true;
      clearTimeout(timer);
      sub?.unsubscribe();
      offConnected?.();
      offClosed?.();
    };
    // onEvent is a notification only; a new function each render must not resubscribe.
  }, [client, ws, memberId]);
  return { state, events };
}
