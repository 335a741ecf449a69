// The short chaos run inside npm test (the full one is `npm run test:chaos`): the built gateway as
// a child process under concurrent clients, SIGKILLed once and restarted on the same database;
// every unknown write retried with its key; then the books, the client log and the API must agree.
import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { expect, inject, it } from 'vitest';
import { formatSummary, runChaos } from '../bench/chaos/chaos';

it('a SIGKILL under load loses, duplicates and invents nothing', async () => {
  const seed = Number(process.env.CHAOS_SEED) || randomInt(1, 2 ** 31 - 1);
  const summary = await runChaos({ seed, clients: 32, seconds: 10, kills: 1, serverUrl: inject('serverUrl') });
  console.log(formatSummary(summary));
  expect(summary.violations, formatSummary(summary)).toEqual([]);
  expect(summary.kills).toBe(1);
  // The run did real work on both sides of the crash.
  expect(summary.outcomes.earn.ok ?? 0).toBeGreaterThan(20);
  expect(summary.outcomes.redeem.ok ?? 0).toBeGreaterThan(5);
  // Passed: the client log (hundreds of KB in the temp directory) is kept only when a run fails.
  rmSync(summary.logFile, { force: true });
}, 120_000);
