// A chaos client: a loop of random operations, each write with a key the client made, and every
// write whose outcome is unknown retried with that same key until the server gives a definite
// answer — what a well-behaved point-of-sale system does when the gateway dies under it.
import { MEMBER_BY_EMAIL, BALANCE, EARN, ENROL, REDEEM, REVERSE } from './operations';
import { Outcome, send } from './client';
import { Rng, between, pick, weighted } from './rng';
import { ChaosPartner, OpKind, OpRecord, World } from './world';

export interface ClientContext {
  url: string;
  world: World;
  rng: Rng;
  client: number;
  /** Run id, part of every key and email so runs on one server never collide. */
  runId: string;
  /** No new operation starts after this (ms since epoch). */
  until: number;
  /** An unknown write still unresolved at this moment is left unresolved. */
  retryUntil: number;
  timeoutMs: number;
  records: OpRecord[];
  /** Weights of the operation kinds (default MIX). */
  mix?: Record<OpKind, number>;
  /** The kind of this client's first operation (then the mix decides). */
  first?: OpKind;
  /** True once the run is lost (the server crashed for good): stop starting and retrying. */
  abandoned?: () => boolean;
}

export const MIX: Record<OpKind, number> = { enrol: 6, earn: 40, redeem: 20, reverseEarn: 9, reverseRedeem: 4, read: 21 };
/** Half of all picks go to the first few members, so clients contend on the same wallets. */
const HOT_MEMBERS = 8;

interface Plan {
  kind: OpKind;
  partner: ChaosPartner;
  key: string;
  query: string;
  variables: Record<string, unknown>;
  externalRef?: string;
  /** The id and creation time of what an ok answer names. */
  result(data: Record<string, any>): { id: string; createdAt: string };
  /** Teach the world about an acknowledged write. */
  learn?(data: Record<string, any>): void;
}

function memberFor(ctx: ClientContext): string | undefined {
  const { members } = ctx.world;
  return ctx.rng() < 0.5 ? pick(ctx.rng, members.slice(0, HOT_MEMBERS)) : pick(ctx.rng, members);
}

function plan(ctx: ClientContext, seq: number): Plan {
  const { rng, world } = ctx;
  const key = `${ctx.runId}-c${ctx.client}-${seq}`;
  const partner = pick(rng, world.partners)!;
  let kind = seq === 0 && ctx.first ? ctx.first : weighted(rng, ctx.mix ?? MIX);
  if (world.members.length === 0) kind = 'enrol';
  if (kind === 'reverseEarn' && world.earns.length === 0) kind = 'earn';
  if (kind === 'reverseRedeem' && world.redeems.length === 0) kind = 'redeem';
  switch (kind) {
    case 'enrol': {
      const email = `${key}@chaos.example`;
      return {
        kind,
        partner,
        key: email,
        query: ENROL,
        variables: { input: { email, displayName: `Chaos ${ctx.client}-${seq}` } },
        result: (d) => ({ id: d.enrollMember.id, createdAt: d.enrollMember.enrolledAt }),
        learn: (d) => world.members.push(d.enrollMember.id),
      };
    }
    case 'earn': {
      const amount = `${between(rng, 1, 250)}.${String(between(rng, 0, 99)).padStart(2, '0')}`;
      return {
        kind,
        partner,
        key,
        externalRef: `rcpt-${key}`,
        query: EARN,
        variables: { input: { memberId: memberFor(ctx), amount, currencyCode: 'MYR', externalRef: `rcpt-${key}`, idempotencyKey: key } },
        result: (d) => d.earnPoints,
        learn: (d) => world.earns.push({ id: d.earnPoints.id, partner, points: d.earnPoints.points }),
      };
    }
    case 'redeem': {
      const reward = pick(rng, world.rewards)!;
      return {
        kind,
        partner: reward.partner,
        key,
        query: REDEEM,
        variables: { input: { memberId: memberFor(ctx), rewardId: reward.id, quantity: rng() < 0.8 ? 1 : 2, idempotencyKey: key } },
        result: (d) => d.redeemReward,
        learn: (d) => world.redeems.push({ transactionId: d.redeemReward.transaction.id, partner: reward.partner }),
      };
    }
    case 'reverseEarn': {
      const earn = pick(rng, world.earns)!;
      // Mostly partial refunds, some more than what is left (refused), some whole (points omitted).
      const points = rng() < 0.2 ? null : between(rng, 1, Math.max(1, Math.ceil(earn.points * 0.6)));
      return {
        kind,
        partner: earn.partner,
        key,
        query: REVERSE,
        variables: { input: { transactionId: earn.id, points, reason: 'chaos refund', idempotencyKey: key } },
        result: (d) => d.reverseTransaction,
      };
    }
    case 'reverseRedeem': {
      const redeem = pick(rng, world.redeems)!;
      return {
        kind,
        partner: redeem.partner,
        key,
        query: REVERSE,
        variables: { input: { transactionId: redeem.transactionId, reason: 'chaos cancellation', idempotencyKey: key } },
        result: (d) => d.reverseTransaction,
      };
    }
    case 'read':
      return {
        kind,
        partner,
        key,
        query: BALANCE,
        variables: { id: memberFor(ctx) },
        result: () => ({ id: '', createdAt: '' }),
      };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An enrolment has no idempotency key: after an unknown outcome, look the email up first. */
async function retryEnrol(ctx: ClientContext, p: Plan): Promise<Outcome> {
  const found = await send(ctx.url, MEMBER_BY_EMAIL, { email: p.key }, p.partner.apiKey, ctx.timeoutMs);
  if (found.kind !== 'ok') return found;
  if (found.data.memberByEmail) return { kind: 'ok', data: { enrollMember: found.data.memberByEmail } };
  const again = await send(ctx.url, p.query, p.variables, p.partner.apiKey, ctx.timeoutMs);
  // Enrolled between the look-up and now (a commit that was still in flight): look again.
  if (again.kind === 'failed' && again.field === 'input.email') return { kind: 'unknown', reason: 'enrolled meanwhile' };
  return again;
}

async function perform(ctx: ClientContext, p: Plan, seq: number): Promise<void> {
  const sent = Date.now();
  let outcome = await send(ctx.url, p.query, p.variables, p.partner.apiKey, ctx.timeoutMs);
  const record: OpRecord = {
    client: ctx.client,
    seq,
    kind: p.kind,
    scope: p.partner.scope,
    key: p.key,
    externalRef: p.externalRef,
    first: outcome.kind,
    final: 'unresolved',
    attempts: 1,
    ms: Date.now() - sent,
  };
  if (outcome.kind === 'unknown') record.reason = outcome.reason;
  ctx.records.push(record);
  const firstEnded = Date.now();
  if (outcome.kind === 'internal') record.internal = [`HTTP ${outcome.status}: ${outcome.body}`];
  if (p.kind !== 'read') {
    // Until the server answers definitely: the same request, the same key.
    for (let i = 0; (outcome.kind === 'unknown' || outcome.kind === 'internal') && Date.now() < ctx.retryUntil && !ctx.abandoned?.(); i++) {
      await sleep(Math.min(1000, 25 * 2 ** i) * (0.5 + ctx.rng()));
      outcome = p.kind === 'enrol' ? await retryEnrol(ctx, p) : await send(ctx.url, p.query, p.variables, p.partner.apiKey, ctx.timeoutMs);
      record.attempts++;
      if (outcome.kind === 'internal') (record.internal ??= []).push(`HTTP ${outcome.status}: ${outcome.body}`);
    }
  }
  if (p.kind === 'read') {
    record.final = outcome.kind;
    return;
  }
  if (outcome.kind === 'unknown' || outcome.kind === 'internal') return;
  record.final = outcome.kind;
  if (outcome.kind === 'failed') {
    record.code = outcome.code;
    return;
  }
  const result = p.result(outcome.data);
  record.resultId = result.id;
  if (record.first !== 'ok' && new Date(result.createdAt).getTime() <= firstEnded) record.replayed = true;
  p.learn?.(outcome.data);
}

export async function runClient(ctx: ClientContext): Promise<void> {
  for (let seq = 0; Date.now() < ctx.until && !ctx.abandoned?.(); seq++) await perform(ctx, plan(ctx, seq), seq);
}
