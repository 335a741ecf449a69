#!/usr/bin/env node
// Follows one member's balance from a shell: prints each balanceChanged event as a JSON line.
//   node scripts/subscribe.mjs <token> <memberId> [url] [after]
// token: a member token, a partner API key or the admin token; url: ws://localhost:4000/graphql by
// default; after: an eventId to resume from (the events after it are replayed first).
// When the connection drops (a restart, or 4008 for a client that fell behind) it reconnects and
// resumes after the last event it printed, so nothing is printed twice or skipped.
// Plain Node (no build step), with the gateway's own graphql-ws and ws packages.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [token, memberId, url = 'ws://localhost:4000/graphql', resumeFrom] = process.argv.slice(2);
if (!token || !memberId) {
  console.error('usage: node scripts/subscribe.mjs <token> <memberId> [url] [after]');
  process.exit(2);
}

const query = `subscription($m: ID!, $after: ID) {
  balanceChanged(memberId: $m, after: $after) {
    eventId
    balance { available pending lifetimeEarned qualifyingPoints }
    transaction { id type points createdAt partner { slug } }
  }
}`;
// Close codes that reconnecting cannot cure: bad request, bad or ended credentials, too many failures.
const FATAL = new Set([4400, 4401, 4403, 4429, 4500]);

let after = resumeFrom ?? null;
for (let attempt = 0; ; attempt++) {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: { connected: () => (attempt = 0) },
  });
  try {
    for await (const result of client.iterate({ query, variables: { m: memberId, after } })) {
      if (result.errors) throw result.errors;
      after = result.data.balanceChanged.eventId;
      console.log(JSON.stringify(result.data.balanceChanged));
    }
    process.exit(0); // the server completed the subscription
  } catch (err) {
    if (Array.isArray(err)) {
      // GraphQL errors: a refused subscription (FORBIDDEN, NOT_FOUND, …) stays refused.
      console.error(JSON.stringify(err));
      process.exit(1);
    }
    const code = err?.code;
    const reason = err?.reason || err?.message || String(err);
    if (FATAL.has(code)) {
      console.error(`closed ${code}: ${reason}`);
      process.exit(1);
    }
    const wait = Math.min(30_000, 500 * 2 ** attempt);
    console.error(`disconnected (${code ?? 'no connection'}: ${reason}); resuming after ${after ?? 'now'} in ${wait} ms`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  } finally {
    await client.dispose();
  }
}
