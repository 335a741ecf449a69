// graphql-ws (graphql-transport-ws) on the HTTP server's port and path: same schema, rules and
// context factory as HTTP. Auth at connection_init from connectionParams.authorization: a token
// that proves nothing closes with 4403; subscribing before init is graphql-ws's 4401.
import type http from 'node:http';
import { GraphQLError, GraphQLSchema, specifiedRules, validate } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { GraphQLFormattedError } from 'graphql';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Services } from './services';
import type { Context } from './graphql/context';
import type { Viewer } from './modules/auth/viewer';
import { createLoaders } from './graphql/loaders';
import { extraValidationRules } from './graphql/validation';

/** Close code for a client that reads too slowly to keep up (it may reconnect and resume with `after`). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
const KEEPALIVE_MS = 12_000;

export function attachLiveSocket(
  httpServer: http.Server,
  schema: GraphQLSchema,
  services: Services,
  config: Config,
  logger: Logger,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
) {
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 256 * 1024 });
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => formatError(e.toJSON(), e));
  const disposable = useServer<Record<string, unknown>, { viewer: Viewer }>(
    {
      schema,
      validate: (s, document) => validate(s, document, [...specifiedRules, ...extraValidationRules]),
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        try {
          ctx.extra.viewer = await services.authenticator.authenticate(typeof authorization === 'string' ? authorization : undefined);
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      context: (ctx): Context => ({ viewer: ctx.extra.viewer ?? { kind: 'anonymous' }, loaders: createLoaders(services), services }),
      onNext: (ctx, _id, _payload, _args, result) => {
        const socket = ctx.extra.socket;
        if (socket.bufferedAmount > config.liveMaxBufferedBytes) {
          logger.warn({ buffered: socket.bufferedAmount }, 'closing a live client that cannot keep up');
          socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: reconnect and resume with after');
          // A client that reads nothing never completes the close handshake.
          setTimeout(() => socket.terminate(), 5_000).unref();
        }
        return result.errors ? { ...result, errors: format(result.errors) } : undefined;
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
    KEEPALIVE_MS,
  );
  return {
    wss,
    async dispose() {
      await disposable.dispose();
    },
  };
}
