// A real graphql-ws client for tests: collects what a subscription delivers.
import WebSocket from 'ws';
import { createClient, Client } from 'graphql-ws';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GqlError } from './gateway';

export interface LiveSubscription<T> {
  events: T[];
  errors: GqlError[];
  closed: { code?: number; reason?: string } | null;
  /** Resolves once at least n events arrived (or rejects after ms). */
  waitFor(n: number, ms?: number): Promise<T[]>;
  /** Resolves once an error arrived. */
  waitForError(ms?: number): Promise<GqlError[]>;
  /** Ends this subscription only; the client's socket stays open for the others. */
  cancel(): void;
  stop(): Promise<void>;
}

export function liveClient(wsUrl: string, token?: string | null, extra: { retryAttempts?: number } = {}): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: extra.retryAttempts ?? 0,
    lazy: true,
  });
}

export function subscribe<T, V extends Record<string, unknown>>(client: Client, doc: TypedDocumentNode<T, V>, variables: V): LiveSubscription<T> {
  const sub: LiveSubscription<T> = {
    events: [],
    errors: [],
    closed: null,
    waitFor: (n, ms = 10_000) =>
      poll(
        () => sub.events.length >= n,
        ms,
        () => `${sub.events.length}/${n} events, errors ${JSON.stringify(sub.errors)}`,
      ).then(() => sub.events),
    waitForError: (ms = 10_000) =>
      poll(
        () => sub.errors.length > 0,
        ms,
        () => 'no error',
      ).then(() => sub.errors),
    cancel: () => unsubscribe(),
    stop: async () => {
      unsubscribe();
      await client.dispose();
    },
  };
  const unsubscribe = client.subscribe<T>(
    { query: print(doc), variables },
    {
      next: (result) => {
        if (result.errors?.length) sub.errors.push(...(result.errors as GqlError[]));
        if (result.data) sub.events.push(result.data as T);
      },
      error: (err) => {
        if (Array.isArray(err)) sub.errors.push(...(err as GqlError[]));
        else if (err && typeof err === 'object' && 'code' in err)
          sub.closed = { code: (err as { code: number }).code, reason: (err as { reason?: string }).reason };
        else sub.errors.push({ message: String(err) });
      },
      complete: () => undefined,
    },
  );
  return sub;
}

async function poll(done: () => boolean, ms: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets a subscription get established on the server before the test writes. */
export const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));
