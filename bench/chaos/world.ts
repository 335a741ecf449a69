// What the clients know of the coalition while they run: what setup created and every write that
// was acknowledged. Clients share it, so they contend on the same members, earns and stock.
import type { Outcome } from './client';

export interface ChaosPartner {
  id: string;
  apiKey: string;
  /** The idempotency scope the server files this partner's keys under. */
  scope: string;
}

export interface ChaosReward {
  id: string;
  partner: ChaosPartner;
  cost: number;
  /** Stock at setup; null is unlimited. */
  stock: number | null;
}

export type OpKind = 'enrol' | 'earn' | 'redeem' | 'reverseEarn' | 'reverseRedeem' | 'read';
export const WRITE_KINDS: OpKind[] = ['enrol', 'earn', 'redeem', 'reverseEarn', 'reverseRedeem'];

/** One client operation and what became of it. */
export interface OpRecord {
  client: number;
  seq: number;
  kind: OpKind;
  /** Idempotency scope and key; for an enrolment (which takes no key) the email plays the key. */
  scope: string;
  key: string;
  externalRef?: string;
  first: Outcome['kind'];
  final: Outcome['kind'] | 'unresolved';
  code?: string;
  resultId?: string;
  attempts: number;
  /** How long the first attempt took, and why its outcome was unknown (if it was). */
  ms?: number;
  reason?: string;
  /** The first attempt's outcome was unknown, yet it had committed: a retry got the original back. */
  replayed?: boolean;
  internal?: string[];
}

export class World {
  readonly members: string[] = [];
  readonly earns: { id: string; partner: ChaosPartner; points: number }[] = [];
  readonly redeems: { transactionId: string; partner: ChaosPartner }[] = [];

  constructor(
    readonly partners: ChaosPartner[],
    readonly rewards: ChaosReward[],
  ) {}
}
