// One context factory for HTTP and (later) graphql-ws: who is calling, plus fresh loaders.
import type { Services } from '../services';
import type { Viewer } from '../modules/auth/viewer';
import { Loaders, createLoaders } from './loaders';
import { ResponseBudget } from './response-budget';
import type { QueryLimits } from '../config';
import { serviceUnavailable } from '../errors/domain-error';
import { isConnectionError } from '../db/connection-errors';

export interface Context {
  viewer: Viewer;
  /** Replaced per event on long-lived subscriptions, so events never read a stale cache. */
  loaders: Loaders;
  services: Services;
  /** What this response may still cost and hold (replaced per event on subscriptions). */
  budget: ResponseBudget;
}

export async function createContext(services: Services, authorization: string | undefined | null, limits: QueryLimits): Promise<Context> {
  const viewer = await services.authenticator.authenticate(authorization).catch((err: unknown) => {
    // An API key cannot be checked while the database is away: a retryable 503, not a 500.
    throw isConnectionError(err) ? serviceUnavailable() : err;
  });
  return { viewer, loaders: createLoaders(services), services, budget: new ResponseBudget(limits) };
}
