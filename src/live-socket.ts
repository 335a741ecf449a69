// graphql-ws (graphql-transport-ws) on the HTTP server's port and path: same schema, rules, limits
// and context factory as HTTP. Auth at connection_init from connectionParams.authorization: a token
// that proves nothing closes with 4403 (4429 once the address failed too often); subscribing
// before init is graphql-ws's 4401. A socket's authentication never outlives its credential: it is
// closed (4403) when a member token expires, and when its partner key is revoked or its rotation
// grace period ends, on whichever instance holds it (revocations arrive through the outbox relay).
// A partner's key and status are read again for every operation, so a revocation, suspension (or
// reactivation) applies to the socket's next operation, as it does to the next HTTP request — even
// before the revocation's close reaches the socket.
// Limits: LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET subscriptions at once per socket (the next is refused
// with TOO_MANY_SUBSCRIPTIONS; the socket stays open) and LIVE_MAX_SOCKETS_PER_IP sockets per
// client address on this instance (the next is closed at once with 4029, before connection_init).
// Variables are coerced here, as Apollo does over HTTP, so a mistake in them is BAD_USER_INPUT.
// A client that cannot keep up is disconnected with 4008 (it resumes with `after`): when one of its
// subscriptions falls LIVE_QUEUE_LIMIT events behind, or LIVE_MAX_BUFFERED_BYTES sit unsent.
// A draining instance closes every socket with 1012 (service restart): the client reconnects, to
// another replica behind the load balancer, and resumes with `after`.
// Request ids: the upgrade's `x-request-id` (if sane, else a new one) is the socket's, echoed in
// the 101 response; every operation on the socket logs it (with the operation's id) on its one
// line, and every error sent on the socket carries it in extensions.requestId.
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import {
  ExecutionArgs,
  GraphQLError,
  GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  execute,
  getOperationAST,
  getVariableValues,
  specifiedRules,
  subscribe,
  validate,
} from 'graphql';
import { WebSocket, WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { GraphQLFormattedError } from 'graphql';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Services } from './app/services';
import type { Context } from './graphql/context';
import type { Viewer } from './modules/auth/viewer';
import { DomainError, ErrorCode, serviceUnavailable } from './errors/domain-error';
import { isConnectionError } from './db/connection-errors';
import { contextFor } from './app/context';
import { CodedValidationError, extraValidationRules, parseLimited } from './graphql/validation';
import { mutationFieldCount } from './graphql/write-limit';
import { clientIp } from './modules/rate-limit/client-ip';
import { API_KEY_CHANNEL } from './modules/live/outbox-event';
import { SlowSubscriberError } from './modules/live/event-queue';
import { RequestScope, inRequest, newRequestScope } from './logger';
import { callerKind, requestIdOf } from './request-log';
import { liveSubscriptions, operationLabel, requestDuration, watchLiveServer } from './metrics';

/** Close code for a client that reads too slowly to keep up (it may reconnect and resume with `after`). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
/** The credential is no longer valid (as for a bad token at connection_init). */
export const CREDENTIAL_ENDED_CLOSE_CODE = 4403;
/** Too many failed authentications from this address (graphql-ws clients do not retry it). */
export const TOO_MANY_FAILURES_CLOSE_CODE = 4429;
/** The database did not answer while authenticating: WebSocket's "Try Again Later" (graphql-ws clients retry it). */
export const TRY_AGAIN_CLOSE_CODE = 1013;
/**
 * This address already holds LIVE_MAX_SOCKETS_PER_IP sockets on this instance. Not one graphql-ws
 * treats as fatal: its clients retry with backoff, and get in once one of those sockets closes.
 */
export const TOO_MANY_SOCKETS_CLOSE_CODE = 4029;
/** WebSocket's "Service Restart": this instance is draining; reconnect (to another) and resume with `after`. */
export const SERVICE_RESTART_CLOSE_CODE = 1012;
const KEEPALIVE_MS = 12_000;
const SANE_OPERATION_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Closes the socket at `when` (at once if past); the timer goes with the socket. */
function closeAt(socket: WebSocket, when: Date, reason: string): void {
  const delay = when.getTime() - Date.now();
  if (delay <= 0) {
    socket.close(CREDENTIAL_ENDED_CLOSE_CODE, reason);
    return;
  }
  const timer = setTimeout(() => closeAt(socket, when, reason), Math.min(delay, MAX_TIMER_MS));
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Disconnects a client that reads too slowly; the close code tells it to reconnect and resume with `after`. */
function disconnectSlowConsumer(socket: WebSocket, logger: Logger, why: Record<string, unknown>): void {
  if (socket.readyState !== WebSocket.OPEN) return;
  logger.warn(why, 'closing a live client that cannot keep up');
  socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: reconnect and resume with after');
  // A client that reads nothing never completes the close handshake.
  setTimeout(() => socket.terminate(), 5_000).unref();
}

/** graphql-js's variable coercion errors, coded as Apollo codes them over HTTP (400 BAD_USER_INPUT). */
function badVariables(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.map(
    (e) => new GraphQLError(e.message, { nodes: e.nodes, originalError: e.originalError, extensions: { ...e.extensions, code: ErrorCode.BAD_USER_INPUT } }),
  );
}

/** What graphql-js says when it cannot pick the operation, coded as Apollo codes it over HTTP. */
function unresolvedOperation(operationName: string | null | undefined): GraphQLError {
  const message = operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.';
  return new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
}

/** The ids of the subscriptions a socket holds (graphql-ws's own record says which are still running). */
type HeldSubscriptions = Set<string>;

/** An operation under way on a socket, for its log line and metrics. */
interface RunningOperation {
  started: bigint;
  name: string | null;
  type: string;
  /** Counted in loyalty_live_subscriptions. */
  counted: boolean;
  errorCodes: Set<string>;
}

type SocketExtra = {
  viewer: Viewer;
  heldSubscriptions?: HeldSubscriptions;
  requestId?: string;
  operations?: Map<string, RunningOperation>;
};
/** What the helpers read of a socket's extra (graphql-ws hands it over with every field optional). */
type SocketInfo = Partial<SocketExtra> & { request: IncomingMessage };

export function attachLiveSocket(
  httpServer: http.Server,
  schema: GraphQLSchema,
  services: Services,
  config: Config,
  logger: Logger,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
) {
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 256 * 1024 });
  const unwatch = watchLiveServer(wss);
  const requestIds = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, request) => {
    const id = requestIdOf(request);
    requestIds.set(request, id);
    headers.push(`x-request-id: ${id}`);
  });
  const requestIdOfSocket = (extra: SocketInfo) => (extra.requestId ??= requestIds.get(extra.request) ?? requestIdOf(extra.request));
  /** Formatted as over HTTP, in the socket's request scope (so they carry its id), their codes noted on `op`. */
  const format = (errors: readonly GraphQLError[], requestId: string, op?: RunningOperation) => {
    const s: RequestScope = newRequestScope(requestId);
    const formatted = inRequest(s, () => errors.map((e) => formatError(e.toJSON(), e)));
    for (const code of s.errorCodes) op?.errorCodes.add(code);
    return formatted;
  };
  /** The one line of an operation that ended (or never started), and its duration in the metrics. */
  const operationEnded = (extra: SocketInfo, id: string, op: RunningOperation | undefined, codes?: Set<string>) => {
    const errorCodes = codes ?? op?.errorCodes ?? new Set<string>();
    const seconds = op ? Number(process.hrtime.bigint() - op.started) / 1e9 : 0;
    const outcome = errorCodes.size === 0 ? 'ok' : 'error';
    logger.info(
      {
        requestId: requestIdOfSocket(extra),
        transport: 'ws',
        ...(SANE_OPERATION_ID.test(id) ? { operationId: id } : {}),
        operationName: op?.name ?? null,
        operationType: op?.type ?? null,
        caller: extra.viewer ? callerKind(extra.viewer) : 'anonymous',
        durationMs: Math.round(seconds * 1e4) / 10,
        outcome,
        ...(errorCodes.size > 0 ? { errorCodes: [...errorCodes] } : {}),
      },
      'operation',
    );
    if (op && op.type !== 'subscription') {
      requestDuration.observe({ operation: operationLabel(op.name, true), type: op.type, transport: 'ws', outcome }, seconds);
    }
  };
  const rules = [...specifiedRules, ...extraValidationRules(config.queryLimits), ...(config.allowIntrospection ? [] : [NoSchemaIntrospectionCustomRule])];
  /** Open sockets per partner API key, so a revocation can close them. */
  const socketsByKey = new Map<string, Set<WebSocket>>();

  // Sockets per client address, counted from the upgrade (before connection_init, so sockets that
  // never authenticate count too); a socket refused for it takes no place and is never served.
  const socketsByIp = new Map<string, number>();
  const refusedSockets = new WeakSet<WebSocket>();
  wss.on('connection', (socket, request) => {
    const ip = clientIp(request, config.trustProxyHops);
    const open = socketsByIp.get(ip) ?? 0;
    if (config.liveMaxSocketsPerIp > 0 && open >= config.liveMaxSocketsPerIp) {
      refusedSockets.add(socket);
      socket.close(TOO_MANY_SOCKETS_CLOSE_CODE, 'Too many connections from this address');
      return;
    }
    socketsByIp.set(ip, open + 1);
    socket.once('close', () => {
      const left = (socketsByIp.get(ip) ?? 1) - 1;
      if (left > 0) socketsByIp.set(ip, left);
      else socketsByIp.delete(ip);
    });
  });

  /**
   * Counts a new subscription against its socket's limit; the refusal if it is over. Synchronous,
   * so subscriptions started at once on one socket cannot all pass the check together.
   */
  function holdSubscription(subscriptions: Record<string, unknown>, held: HeldSubscriptions, id: string): GraphQLError | null {
    for (const other of held) if (!(other in subscriptions)) held.delete(other);
    const limit = config.liveMaxSubscriptionsPerSocket;
    if (held.size >= limit) {
      const refusal = new DomainError(
        ErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `This socket already holds ${limit} subscriptions, the most one socket may; complete one before starting another`,
        undefined,
        { limit },
      );
      return new GraphQLError(refusal.message, { originalError: refusal });
    }
    held.add(id);
    return null;
  }

  function track(socket: WebSocket, viewer: Viewer): void {
    if (viewer.kind === 'member') closeAt(socket, viewer.expiresAt, 'Token expired');
    if (viewer.kind === 'staff' && viewer.sessionExpiresAt) closeAt(socket, viewer.sessionExpiresAt, 'Staff session expired');
    if (viewer.kind !== 'partner') return;
    if (viewer.keyExpiresAt) closeAt(socket, viewer.keyExpiresAt, 'API key expired');
    const sockets = socketsByKey.get(viewer.apiKeyId) ?? new Set();
    socketsByKey.set(viewer.apiKeyId, sockets.add(socket));
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) socketsByKey.delete(viewer.apiKeyId);
    });
  }

  /** The socket request id of each operation's context (the execute and subscribe wrappers read it). */
  const contextRequestIds = new WeakMap<object, string>();
  const requestIdOf2 = (args: ExecutionArgs): string =>
    (typeof args.contextValue === 'object' && args.contextValue !== null ? contextRequestIds.get(args.contextValue) : undefined) ?? 'unknown';

  let disposed = false;
  let revocations = services.relay.bus.subscribe(API_KEY_CHANNEL);
  async function followRevocations(): Promise<void> {
    while (!disposed) {
      try {
        for await (const event of revocations) {
          const { apiKeyId, endsAt } = event.payload as { apiKeyId: string; endsAt: string };
          for (const socket of socketsByKey.get(apiKeyId) ?? []) closeAt(socket, new Date(endsAt), 'API key revoked');
        }
      } catch (err) {
        logger.warn({ err }, 'missed API key revocations; following them again');
      }
      if (!disposed) revocations = services.relay.bus.subscribe(API_KEY_CHANNEL);
    }
  }
  void followRevocations();

  const disposable = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      // Queries and mutations run in the socket's request scope: their log lines carry its id.
      execute: (args: ExecutionArgs) => inRequest(newRequestScope(requestIdOf2(args)), () => execute(args)),
      subscribe: (args: ExecutionArgs) => inRequest(newRequestScope(requestIdOf2(args)), () => subscribe(args)),
      // Internal errors close the socket without their message.
      isProd: config.production,
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        requestIdOfSocket(ctx.extra);
        if (refusedSockets.has(socket)) return false; // already closing with 4029
        if (restarting) {
          socket.close(SERVICE_RESTART_CLOSE_CODE, 'Service restart: reconnect and resume with after');
          return false;
        }
        const authorization = ctx.connectionParams?.authorization;
        const presented = typeof authorization === 'string' && authorization.trim() !== '' ? authorization : undefined;
        const ip = clientIp(request, config.trustProxyHops);
        try {
          if (presented) services.rateLimits.refuseBlockedIp(ip);
          const viewer = await services.authenticator.authenticate(presented);
          ctx.extra.viewer = viewer;
          track(socket, viewer);
          return true;
        } catch (err) {
          // The credential may well be good: not 4403 (a client would give up on it), but retry.
          if (isConnectionError(err)) {
            socket.close(TRY_AGAIN_CLOSE_CODE, 'Service unavailable: reconnect');
            return false;
          }
          let limited = err instanceof DomainError && err.code === ErrorCode.RATE_LIMITED;
          if (err instanceof DomainError && err.code === ErrorCode.UNAUTHENTICATED) {
            limited = (await services.rateLimits.authenticationFailed(ip).catch(() => null)) !== null;
          }
          if (limited) socket.close(TOO_MANY_FAILURES_CLOSE_CODE, 'Too many failed authentications');
          return false; // graphql-ws closes with 4403 Forbidden (unless closed above)
        }
      },
      // Parse, validate and rate-limit here (graphql-ws would parse and validate with no limits).
      onSubscribe: async (ctx, id, payload) => {
        const document = parseLimited(payload.query, config.queryLimits);
        if (document instanceof GraphQLError) return [document];
        const errors = validate(schema, document, rules);
        if (errors.length > 0) {
          return errors.map((e) =>
            e instanceof CodedValidationError
              ? e
              : new GraphQLError(e.message, { nodes: e.nodes, extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } }),
          );
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [unresolvedOperation(payload.operationName)];
        // graphql-js would report these from inside execution, uncoded (an internal error to formatError).
        const variables = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 50 });
        if (variables.errors) return badVariables(variables.errors);
        const held = (ctx.extra.heldSubscriptions ??= new Set());
        if (operation.operation !== 'subscription') held.delete(id);
        else {
          const refused = holdSubscription(ctx.subscriptions, held, id);
          if (refused) return [refused];
        }
        // The context, with the credential as it stands now (graphql-ws would build it with the one
        // from connection_init: a key revoked since, or a partner's old status).
        let viewer: Viewer;
        try {
          viewer = await services.authenticator.current(ctx.extra.viewer ?? { kind: 'anonymous' });
        } catch (err) {
          const refused = err instanceof DomainError ? err : isConnectionError(err) ? serviceUnavailable() : null;
          if (!refused) throw err;
          return [new GraphQLError(refused.message, { originalError: refused })];
        }
        if (operation.operation === 'mutation') {
          try {
            await services.rateLimits.consumeWrites(viewer, mutationFieldCount(operation, document));
          } catch (err) {
            const domain = err instanceof DomainError ? err : isConnectionError(err) ? serviceUnavailable() : null;
            if (domain) return [new GraphQLError(domain.message, { originalError: domain })];
            throw err;
          }
        }
        const contextValue: Context = contextFor(services, viewer, config.queryLimits, undefined, clientIp(ctx.extra.request, config.trustProxyHops));
        const counted = operation.operation === 'subscription';
        if (counted) liveSubscriptions.inc();
        (ctx.extra.operations ??= new Map()).set(id, {
          started: process.hrtime.bigint(),
          name: operation.name?.value ?? payload.operationName ?? null,
          type: operation.operation,
          counted,
          errorCodes: new Set(),
        });
        contextRequestIds.set(contextValue, requestIdOfSocket(ctx.extra));
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      onComplete: (ctx, id) => {
        const op = ctx.extra.operations?.get(id);
        if (!op) return;
        ctx.extra.operations!.delete(id);
        if (op.counted) liveSubscriptions.dec();
        operationEnded(ctx.extra, id, op);
      },
      onClose: (ctx) => {
        // Whatever graphql-ws did not complete (it completes each on close; this is the backstop).
        for (const [id, op] of ctx.extra.operations ?? []) {
          if (op.counted) liveSubscriptions.dec();
          operationEnded(ctx.extra, id, op);
        }
        ctx.extra.operations?.clear();
      },
      onNext: (ctx, _id, _payload, args, result) => {
        const socket = ctx.extra.socket;
        if (socket.bufferedAmount > config.liveMaxBufferedBytes) disconnectSlowConsumer(socket, logger, { buffered: socket.bufferedAmount });
        // Past the response budget the result (this event's, for a subscription) is its one error.
        const exceeded = (args.contextValue as Context | undefined)?.budget?.exceeded;
        const requestId = requestIdOfSocket(ctx.extra);
        const op = ctx.extra.operations?.get(_id);
        if (exceeded) return { errors: format([exceeded], requestId, op) };
        return result.errors ? { ...result, errors: format(result.errors, requestId, op) } : undefined;
      },
      onError: (ctx, id, _payload, errors) => {
        // A subscription that fell LIVE_QUEUE_LIMIT events behind: its client is too slow, so the whole
        // connection goes (closed before this error is sent, so every subscription on it sees 4008).
        if (errors.some((e) => e.originalError instanceof SlowSubscriberError)) {
          disconnectSlowConsumer(ctx.extra.socket, logger, { queue: config.liveQueueLimit });
        }
        const op = ctx.extra.operations?.get(id);
        const codes = new Set<string>();
        const formatted = format(errors, requestIdOfSocket(ctx.extra), op);
        for (const e of formatted) codes.add(typeof e.extensions?.code === 'string' ? e.extensions.code : 'UNKNOWN');
        // Refused before it started (onSubscribe's errors): no onComplete follows, so its line is now.
        if (!op) operationEnded(ctx.extra, id, undefined, codes);
        return formatted;
      },
    },
    wss,
    KEEPALIVE_MS,
  );
  let restarting = false;
  return {
    wss,
    /** Draining: every socket closes with 1012, and new ones are closed so as soon as they arrive. */
    closeForRestart() {
      restarting = true;
      for (const socket of wss.clients) {
        socket.close(SERVICE_RESTART_CLOSE_CODE, 'Service restart: reconnect and resume with after');
        // A client that never answers the close does not hold the drain up.
        setTimeout(() => socket.terminate(), 2_000).unref();
      }
    },
    async dispose() {
      disposed = true;
      unwatch();
      await revocations.return();
      await disposable.dispose();
    },
  };
}
