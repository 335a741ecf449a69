// A small in-memory model of one coalition's points, written from the README's rules rather than
// from the code: balances, lots (spent oldest expiry first, then oldest earned; a refund claws
// back from its own earn's lot first; a wallet in debt holds no lot points and its next earns pay
// the debt first), a cancelled redemption's points back into the very lots they came from, and
// stock. The model-based test runs the same operations against it and the real server.
export interface ModelLot {
  earnId: string;
  remaining: number;
  /** Days from now the lot expires; null never. */
  expiresInDays: number | null;
  /** Earn order. */
  seq: number;
}

export interface ModelMember {
  id: string;
  balance: number;
  lots: ModelLot[];
}

export interface ModelEarn {
  id: string;
  member: ModelMember;
  partner: number;
  points: number;
  reversed: number;
}

export interface ModelReward {
  id: string;
  partner: number;
  cost: number;
  stock: number | null;
}

export interface ModelRedemption {
  transactionId: string;
  member: ModelMember;
  reward: ModelReward;
  quantity: number;
  cost: number;
  active: boolean;
  took: Map<ModelLot, number>;
}

/** What an operation answers: the balance after it, or the error code it is refused with. */
export type Answer = { balanceAfter: number } | { code: string };

const byExpiryThenAge = (a: ModelLot, b: ModelLot) => (a.expiresInDays ?? Infinity) - (b.expiresInDays ?? Infinity) || a.seq - b.seq;

export class LedgerModel {
  readonly members: ModelMember[] = [];
  readonly earns: ModelEarn[] = [];
  readonly redemptions: ModelRedemption[] = [];
  private seq = 0;

  constructor(readonly rewards: ModelReward[]) {}

  enrol(id: string): ModelMember {
    const member = { id, balance: 0, lots: [] };
    this.members.push(member);
    return member;
  }

  earn(member: ModelMember, partner: number, points: number, id: string, expiresInDays: number | null): Answer {
    const after = member.balance + points;
    // Debt first: only what lifts the balance above zero lands in the lot.
    member.lots.push({ earnId: id, remaining: Math.min(points, Math.max(0, after)), expiresInDays, seq: this.seq++ });
    member.balance = after;
    this.earns.push({ id, member, partner, points, reversed: 0 });
    return { balanceAfter: after };
  }

  /** Refusals in the server's order: balance, then stock. */
  redeemRefusal(member: ModelMember, reward: ModelReward, quantity: number): string | null {
    if (member.balance < reward.cost * quantity) return 'INSUFFICIENT_POINTS';
    if (reward.stock !== null && reward.stock < quantity) return 'OUT_OF_STOCK';
    return null;
  }

  redeem(member: ModelMember, reward: ModelReward, quantity: number, transactionId: string): Answer {
    const cost = reward.cost * quantity;
    if (reward.stock !== null) reward.stock -= quantity;
    member.balance -= cost;
    const took = this.consume(member, cost, null);
    this.redemptions.push({ transactionId, member, reward, quantity, cost, active: true, took });
    return { balanceAfter: member.balance };
  }

  reverseEarnRefusal(earn: ModelEarn, points: number | null): string | null {
    const reversible = earn.points - earn.reversed;
    if (reversible <= 0 || (points ?? reversible) > reversible) return 'BAD_USER_INPUT';
    return null;
  }

  reverseEarn(earn: ModelEarn, points: number | null): Answer {
    const n = points ?? earn.points - earn.reversed;
    earn.reversed += n;
    earn.member.balance -= n;
    this.consume(earn.member, n, earn.id);
    return { balanceAfter: earn.member.balance };
  }

  reverseRedeem(r: ModelRedemption): Answer {
    if (!r.active) return { code: 'REDEMPTION_NOT_ACTIVE' };
    r.active = false;
    const before = r.member.balance;
    r.member.balance += r.cost;
    if (r.reward.stock !== null) r.reward.stock += r.quantity;
    // Back into the lots it came from, latest expiry first, but only what lifts the balance above zero.
    let give = Math.max(0, r.member.balance) - Math.max(0, before);
    for (const lot of [...r.took.keys()].sort((a, b) => byExpiryThenAge(b, a))) {
      const back = Math.min(r.took.get(lot)!, give);
      lot.remaining += back;
      give -= back;
    }
    return { balanceAfter: r.member.balance };
  }

  /** Takes up to `points` from the lots: `preferEarnId`'s first, then oldest expiry, then oldest earned. */
  private consume(member: ModelMember, points: number, preferEarnId: string | null): Map<ModelLot, number> {
    const took = new Map<ModelLot, number>();
    const order = member.lots
      .filter((l) => l.remaining > 0)
      .sort((a, b) => Number(b.earnId === preferEarnId) - Number(a.earnId === preferEarnId) || byExpiryThenAge(a, b));
    for (const lot of order) {
      if (points === 0) break;
      const take = Math.min(lot.remaining, points);
      lot.remaining -= take;
      points -= take;
      took.set(lot, take);
    }
    return took;
  }
}
