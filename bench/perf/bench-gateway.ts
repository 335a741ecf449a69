// The gateway as every benchmark runs it: a fresh database, production mode, quiet logs, and a
// write limiter that counts (its cost is part of the figures) but never refuses.
import { randomBytes } from 'node:crypto';
import { ChaosDatabase, freshDatabase } from '../chaos/database';
import { GatewayProcess } from '../chaos/gateway-process';
import { freePort } from '../../src/db/embedded-postgres';

export interface BenchGateway {
  database: ChaosDatabase;
  gateway: GatewayProcess;
  adminToken: string;
}

/** `extraEnv` adds to or overrides the defaults; `root` runs another checkout's build (bench:ab). */
export async function benchGateway(label: string, extraEnv: Record<string, string> = {}, root?: string): Promise<BenchGateway> {
  const database = await freshDatabase(process.env.DATABASE_URL || null);
  const adminToken = `adm_${label}_${randomBytes(12).toString('hex')}`;
  const gateway = new GatewayProcess(
    await freePort(),
    {
      DATABASE_URL: database.url,
      ADMIN_TOKEN: adminToken,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PARTNER_WRITES: '100000000',
      ...extraEnv,
    },
    root,
    process.env.BENCH_GATEWAY_NODE_ARGS?.split(/\s+/).filter(Boolean),
  );
  return { database, gateway, adminToken };
}
