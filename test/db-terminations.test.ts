// Every database connection the gateway holds cut again and again under a mixed write load: the
// built gateway as a child process (so a crash — an unhandled 'error' event on a pg client — is
// seen as one), 16 clients enrolling, earning, redeeming, refunding and cancelling, two balance
// subscriptions open, the rate limiter counting and the lifecycle jobs running every second, while
// a connection of the test's own runs pg_terminate_backend on every other backend of the database
// every 200 ms. The process must live through it; every answer is a success, a business refusal or
// SERVICE_UNAVAILABLE (retried with its key), never an internal error; the books, the client log,
// the API and the subscriptions agree afterwards.
import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { expect, inject, it } from 'vitest';
import { formatSummary, runChaos } from '../bench/chaos/chaos';

it('backends terminated every 200 ms under redemptions, refunds, earns, enrolments and subscriptions: the gateway lives, no internal error, the books hold', async () => {
  const seed = Number(process.env.CHAOS_SEED) || randomInt(1, 2 ** 31 - 1);
  const summary = await runChaos({
    seed,
    clients: 16,
    seconds: 4,
    kills: 0,
    terminateEveryMs: 200,
    // Members start with points and an earn to refund, the clients' first writes cover every kind,
    // and refunds and cancellations are frequent: a short run, slowed by the terminations (most
    // requests meet one), still does every kind of write.
    openingEarn: '300.00',
    firstKinds: ['enrol', 'earn', 'redeem', 'reverseEarn', 'redeem'],
    mix: { reverseEarn: 20, reverseRedeem: 10 },
    followMembers: 2,
    serverUrl: inject('serverUrl'),
    env: {
      // The limiter's own pool counts every write (a budget this run cannot spend).
      RATE_LIMIT_PARTNER_WRITES: '1000000',
      // The scheduled jobs take their advisory locks on dedicated connections, every second.
      TIER_EVALUATION_INTERVAL_SECONDS: '1',
      POINTS_LIFECYCLE_INTERVAL_SECONDS: '1',
    },
  });
  console.log(formatSummary(summary));
  // Crashes, internal errors (HTTP or over the socket), half-written or duplicated writes, books
  // out of balance, API or subscription disagreeing with the database: each is a violation.
  expect(summary.violations, formatSummary(summary)).toEqual([]);
  // The terminations hit: connections were cut, and requests met them (answered SERVICE_UNAVAILABLE
  // or timed out, then retried with their keys until definite).
  expect(summary.terminated).toBeGreaterThan(10);
  expect(summary.unknown).toBeGreaterThan(0);
  // Real work of every kind got through meanwhile, and the subscriptions delivered.
  const ok = (kind: keyof typeof summary.outcomes) => summary.outcomes[kind].ok ?? 0;
  expect({ enrol: ok('enrol') > 0, earn: ok('earn') > 0, redeem: ok('redeem') > 0, reversal: ok('reverseEarn') + ok('reverseRedeem') > 0 }).toEqual({
    enrol: true,
    earn: true,
    redeem: true,
    reversal: true,
  });
  expect(summary.live.delivered).toBeGreaterThan(0);
  // Passed: the client log is only worth keeping when a run fails.
  rmSync(summary.logFile, { force: true });
}, 120_000);
