// One context factory for HTTP and graphql-ws: who is calling, plus fresh loaders.
import type { Services } from './services';
import type { Viewer } from '../modules/auth/viewer';
import type { Context } from '../graphql/context';
import { Loaders, createLoaders } from './loaders';
import { serviceUnavailable } from '../errors/domain-error';
import { isConnectionError } from '../db/connection-errors';
import type { QueryLimits } from '../config';
import { ResponseBudget } from '../graphql/response-budget';

// The members of the context every resolver receives. Resolvers import the Context type from
// graphql/context.ts, which is below them and names no feature; its members are merged in here,
// where every feature may be named, so no feature imports the composition root.
declare module '../graphql/context' {
  interface Context {
    viewer: Viewer;
    /** Replaced per event on long-lived subscriptions, so events never read a stale cache. */
    loaders: Loaders;
    services: Services;
    /** Replaces loaders with fresh ones (for the next event of a subscription). */
    renewLoaders(): void;
    /** What this response may still cost and hold (replaced per event on subscriptions). */
    budget: ResponseBudget;
    /** The client's address (for the failed-authentication limit of staffLogin); null when unknown. */
    clientIp: string | null;
  }
}

/** The context of one operation, for a viewer already authenticated (graphql-ws checks at connection_init). */
export function contextFor(
  services: Services,
  viewer: Viewer,
  limits: QueryLimits,
  loaders: Loaders = createLoaders(services, viewer),
  clientIp: string | null = null,
): Context {
  const context: Context = {
    viewer,
    loaders,
    services,
    budget: new ResponseBudget(limits),
    clientIp,
    renewLoaders: () => {
      context.loaders = createLoaders(services, context.viewer);
    },
  };
  return context;
}

export async function createContext(
  services: Services,
  authorization: string | undefined | null,
  limits: QueryLimits,
  clientIp: string | null = null,
): Promise<Context> {
  const { viewer, member } = await services.authenticator.identify(authorization).catch((err: unknown) => {
    // An API key cannot be checked while the database is away: a retryable 503, not a 500.
    throw isConnectionError(err) ? serviceUnavailable() : err;
  });
  const loaders = createLoaders(services, viewer);
  // The member row a member token was checked against serves this operation's member reads.
  if (member) loaders.member.prime(member.id, member);
  return contextFor(services, viewer, limits, loaders, clientIp);
}
