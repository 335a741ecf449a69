// The one pg Client class this process creates, for every pool (Pool option `Client`) and
// standalone connection it owns.
//
// pg emits 'error' on a client whose connection dies while no query of it is running (the server
// sends 57P01 on pg_terminate_backend, a failover, a restart), and an 'error' event nobody listens
// to kills the process. pg-pool listens only while a client sits idle in the pool; whoever checks
// one out must listen while holding it. TypeORM does — but only a microtask after the pool hands
// the client over. A backend terminated right as its connection opened (the server's ErrorResponse
// in the same socket read as the ReadyForQuery that completed the connect) fell into that gap, and
// under write load, with the pool opening connections, that took the gateway down within seconds.
//
// So every client listens from its construction to its end. The error is not swallowed by it: pg
// marks the client unqueryable and fails its queries, so its holder's next statement fails with a
// connection error (retried, or answered SERVICE_UNAVAILABLE), and the pool discards it on release;
// the other listeners (the pool's, TypeORM's, the outbox listener's reconnect) still run.
import { Client, ClientConfig } from 'pg';

export class GuardedClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', connectionLost);
  }
}

/** Nothing to do here: see above. Named, so a heap snapshot or a listener count says what it is. */
function connectionLost(): void {}
