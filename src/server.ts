// HTTP edge: Express 5 + Apollo Server 5 on one http.Server (graphql-ws shares the port), plus
// /healthz (process up), /readyz (database answers, and not draining) and /metrics (Prometheus).
// Every request has an id and one log line (request-log.ts). stop() drains for a rolling restart:
// /readyz turns 503 at once, SHUTDOWN_DELAY_SECONDS later the listener closes, WebSockets are
// closed with 1012 (service restart: clients reconnect elsewhere and resume with `after`),
// in-flight requests and earn batches finish (up to SHUTDOWN_GRACE_SECONDS), then the background
// work stops.
import type { Pool } from './db/sql';
import { isUtf8 } from 'node:buffer';
import http, { type IncomingMessage } from 'node:http';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { GraphQLError } from 'graphql';
import type { Config } from './config';
import type { Logger } from './logger';
import { DomainError, ErrorCode, serviceUnavailable as serviceUnavailableError } from './errors/domain-error';
import type { Context } from './graphql/context';
import { createContext } from './app/context';
import { domainToGraphQLError, makeFormatError } from './graphql/errors';
import { gatewaySchema } from './app/schema';
import { Services, createServices } from './app/services';
import { points64Twins } from './graphql/scalars';
import { query } from './db/sql';
import { isConnectionError } from './db/connection-errors';
import { attachLiveSocket } from './live-socket';
import { evaluateTiers } from './modules/tier/tier-evaluation';
import { runLifecycleJobs } from './modules/lifecycle/jobs';
import { extraValidationRules, parseOptions } from './graphql/validation';
import { writeRateLimitPlugin } from './graphql/write-limit';
import { responseBudgetPlugin } from './graphql/response-budget';
import { clientIp } from './modules/rate-limit/client-ip';
import { BoundHttp, bindHttp, closeHttp, urlHost } from './listen';
import { MAX_BODY_BYTES, bodyErrorsAsGraphQL } from './graphql/body-errors';
import { bulkRoutes } from './modules/bulk/bulk.routes';
import { enterRequestScope, operationRecorder, requestLog, scopeOf, withRequestId } from './request-log';
import { metricsHandler, startMetricsServer } from './metrics-endpoint';
import { draining as drainingGauge, timeJob, watchPool } from './metrics';
import { mountWebApps } from './web/static-apps';

export interface Gateway {
  url: string;
  port: number;
  /** The metrics-only port (METRICS_PORT), null when there is none. */
  metricsPort: number | null;
  /** Whether the built web apps are served at `/`. */
  webApps: boolean;
  services: Services;
  stop(): Promise<void>;
}

/**
 * A JSON body that is not valid UTF-8 is refused (400) rather than decoded with U+FFFD in place of
 * the bad bytes, which would store strings the client never sent.
 */
function requireUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(body)) {
    throw Object.assign(new Error('The request body is not valid UTF-8'), { status: 400, type: 'encoding.invalid' });
  }
}

/** Subscriptions are served over graphql-ws; over HTTP there is no event stream to run one on. */
const subscriptionsOverWebSocketOnly = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }: { operation?: { operation: string } | null }) {
        if (operation?.operation !== 'subscription') return;
        throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws, on this same URL), not over HTTP', {
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        });
      },
    };
  },
};

async function databaseAnswers(db: Pool): Promise<boolean> {
  try {
    await Promise.race([query(db, 'SELECT 1'), new Promise((_, fail) => setTimeout(() => fail(new Error('timeout')), 2000))]);
    return true;
  } catch {
    return false;
  }
}

/** On `port`, or on a server main.ts bound before the database started (`bound`). */
export async function startGateway(config: Config, db: Pool, logger: Logger, port = config.port, bound?: BoundHttp): Promise<Gateway> {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(logger));
  // The port is bound before anything else starts, so a port in use fails at once with nothing to
  // undo. Until the routes are in place (a second or so), requests are answered 503.
  const { server: httpServer, port: boundPort } = bound ?? (await bindHttp(port, config.host));
  let mounted = false;
  app.use((_req, res, next) => (mounted ? next() : void res.status(503).json({ status: 'starting' })));
  httpServer.removeAllListeners('request');
  httpServer.on('request', app);
  try {
    const gateway = await mountGateway(config, db, logger, app, httpServer, boundPort);
    mounted = true;
    return gateway;
  } catch (err) {
    await closeHttp(httpServer);
    throw err;
  }
}

async function mountGateway(config: Config, db: Pool, logger: Logger, app: express.Express, httpServer: http.Server, boundPort: number): Promise<Gateway> {
  const services = await createServices(db, config, logger);
  const schema = await gatewaySchema();
  const formatError = withRequestId(
    makeFormatError(logger, {
      production: config.production,
      hideSuggestions: !config.allowIntrospection,
      limits: config.queryLimits,
      points64Twins: points64Twins(schema),
    }),
  );
  const live = attachLiveSocket(httpServer, schema, services, config, logger, formatError);

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    validationRules: extraValidationRules(config.queryLimits),
    parseOptions: parseOptions(config.queryLimits),
    includeStacktraceInErrorResponses: !config.production,
    introspection: config.allowIntrospection,
    // One operation per HTTP request: a batch would multiply every per-request limit.
    allowBatchedHttpRequests: false,
    // main.ts owns shutdown: drain HTTP, then close the pool, then stop embedded PostgreSQL.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    plugins: [
      // In parallel: in-flight HTTP requests finish, and the sockets (closed with 1012 already) go.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceSeconds * 1000 }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await live.dispose();
            },
          };
        },
      },
      operationRecorder<Context>(),
      subscriptionsOverWebSocketOnly,
      writeRateLimitPlugin((ctx, writes) => services.rateLimits.consumeWrites(ctx.viewer, writes)),
      responseBudgetPlugin,
      // No HTTP cache hints are set anywhere, and the cache-control plugin Apollo installs by
      // default wraps every field resolver to compute them: off.
      ApolloServerPluginCacheControlDisabled(),
      config.nodeEnv === 'development' ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  let draining = false;
  // While draining, no connection is kept for a next request: clients reconnect to another replica.
  app.use((_req, res, next) => {
    if (draining) res.setHeader('connection', 'close');
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining) return void res.status(503).json({ status: 'draining' });
    const ok = await databaseAnswers(db);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'database unavailable' });
  });
  // The plain-HTTP routes (files, metrics) authenticate as GraphQL does: a token tried there counts
  // against the address's failed-authentication limit too, and a database that is away is a 503.
  const authenticateHttp = async (authorization: string | undefined, req: IncomingMessage) => {
    const ip = clientIp(req, config.trustProxyHops);
    services.rateLimits.refuseBlockedIp(ip);
    try {
      return await services.authenticator.authenticate(authorization);
    } catch (err) {
      if (isConnectionError(err)) throw serviceUnavailableError();
      if (err instanceof DomainError && err.code === ErrorCode.UNAUTHENTICATED) {
        const limited = await services.rateLimits.authenticationFailed(ip).catch(() => null);
        if (limited) throw limited;
      }
      throw err;
    }
  };
  // Files over plain HTTP (imports, exports).
  app.use(bulkRoutes({ db, settlementPeriods: services.settlementPeriods, imports: services.imports, authenticate: authenticateHttp }));
  app.get('/metrics', metricsHandler(authenticateHttp));
  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY_BYTES, verify: requireUtf8 }),
    enterRequestScope,
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const ip = clientIp(req, config.trustProxyHops);
        try {
          // An address over the failed-authentication limit may not try more credentials for now.
          if (req.headers.authorization?.trim()) services.rateLimits.refuseBlockedIp(ip);
          return await createContext(services, req.headers.authorization, config.queryLimits, ip);
        } catch (err) {
          // Apollo answers a GraphQLError thrown here with its code and HTTP status (401, 429).
          if (!(err instanceof DomainError)) throw err;
          if (err.code === ErrorCode.UNAUTHENTICATED) {
            const limited = await services.rateLimits.authenticationFailed(ip).catch((e: unknown) => {
              logger.warn({ err: e }, 'could not count a failed authentication');
              return null;
            });
            if (limited) throw domainToGraphQLError(limited);
          }
          throw domainToGraphQLError(err);
        }
      },
    }),
    // After both: what express.json refuses (malformed, too large, …) answers in the GraphQL shape.
    bodyErrorsAsGraphQL(logger, scopeOf),
  );
  const unwatchPool = watchPool('main', db);
  const metricsServer = config.metricsPort === null ? null : await startMetricsServer(config.metricsPort, config.host);
  // The console, till and wallet (web/), when built: same origin as /graphql.
  const webApps = mountWebApps(app, config.webDir);

  await services.relay.start();
  services.webhookDispatcher.start();
  services.imports.start();
  // A scheduled run cut off by a lost database connection is retried by the next one: a warning.
  const jobFailed = (job: string) => (err: unknown) =>
    isConnectionError(err)
      ? logger.warn({ err }, `${job} interrupted: the database connection was lost; the next run picks it up`)
      : logger.error({ err }, `${job} failed`);
  // Every instance schedules the evaluation; the advisory lock lets one run it at a time.
  const tierTimer =
    config.tierEvaluationIntervalSeconds > 0
      ? setInterval(() => {
          timeJob(
            'tier-evaluation',
            () => evaluateTiers(db, services.tiers),
            (r) => r.ran,
          ).catch(jobFailed('tier evaluation'));
          // programMetrics and settlement roll up what is new before they answer; this keeps that backlog small.
          timeJob('insight-rollup', () => services.insight.rollUp()).catch(jobFailed('insight rollup'));
          timeJob('settlement-rollup', () => services.settlement.rollUp()).catch(jobFailed('settlement rollup'));
        }, config.tierEvaluationIntervalSeconds * 1000).unref()
      : null;
  // Likewise the points lifecycle (expiry, pending release, birthdays): each job under its own lock.
  const lifecycleTimer =
    config.pointsLifecycleIntervalSeconds > 0
      ? setInterval(() => {
          timeJob('points-lifecycle', () => runLifecycleJobs(db, services.coalition, new Date()))
            .then(({ birthdays }) => {
              if (birthdays.skippedPartnerIds.length > 0) {
                logger.warn({ partnerIds: birthdays.skippedPartnerIds }, 'birthday bonuses skipped: issuer has no exchange rate in force');
              }
            })
            .catch(jobFailed('points lifecycle jobs'));
        }, config.pointsLifecycleIntervalSeconds * 1000).unref()
      : null;
  let stopped: Promise<void> | null = null;
  async function drainAndStop(): Promise<void> {
    draining = true;
    drainingGauge.inc();
    logger.info({ delaySeconds: config.shutdownDelaySeconds }, 'draining: /readyz answers 503');
    if (tierTimer) clearInterval(tierTimer);
    if (lifecycleTimer) clearInterval(lifecycleTimer);
    if (config.shutdownDelaySeconds > 0) await new Promise((r) => setTimeout(r, config.shutdownDelaySeconds * 1000));
    live.closeForRestart();
    // Imports take no next batch; the one being applied finishes (a job left open resumes on another replica).
    const importsStopped = services.imports.stop();
    // The listener closes; in-flight requests finish (their earns are answered from their batches).
    await apollo.stop();
    await importsStopped;
    await services.earnWriter.idle();
    await services.relay.stop();
    await services.webhookDispatcher.stop();
    await services.rateLimits.stop();
    await metricsServer?.close();
    unwatchPool();
    drainingGauge.dec();
    logger.info('drained');
  }
  return {
    url: `http://${urlHost(config.host)}:${boundPort}/graphql`,
    port: boundPort,
    metricsPort: metricsServer?.port ?? null,
    webApps,
    services,
    stop: () => (stopped ??= drainAndStop()),
  };
}
