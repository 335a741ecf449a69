// How the features that ride on a purchase plug into the one earn path (earn-writer.ts): earn
// rules and paid memberships shape the calculation; punch cards, challenges and referrals act on
// the posted earn. Each lives in its own module and is registered in the composition root; the
// earn knows only this interface. A plug-in reads what it needs in the statements the earn sends
// anyway (a column of the batch's reference read, of each partner, of each member's wallet
// lock), so a plug-in costs no round trip on earns it does not concern.
import type { Db, Tx } from '../../db/sql';
import type { PointsTransaction } from '../ledger/points-transaction.entity';
import type { Wallet } from '../ledger/wallet';
import type { EarnInputs } from './points-calculator';
import type { EarnLimiter } from './rule-budget';

/** What a plug-in read for one earn: its batch, partner and member columns (null where it has none). */
export interface EarnPluginData {
  batch: unknown;
  partner: unknown;
  member: unknown;
}

/** An earn as posted, for the plug-ins that act on it. */
export interface PostedEarn {
  memberId: string;
  partnerId: string;
  amount: string;
  currencyCode: string;
  rateId: string;
  /** The earning partner as an issuer (it funds its own challenges' bonuses). */
  partnerIssuanceAccountId: string;
  /** The partner's return window in days (0: points are spendable at once). */
  pendingDays: number;
  transaction: PointsTransaction;
  /** The member's locked wallet, as of after the earn. */
  wallet: Wallet;
}

export interface EarnPlugin {
  /** Unique among plug-ins: names the columns this plug-in reads. */
  readonly name: string;
  /** Read once per batch: a SQL expression over $1, the batch's partner ids (uuid[]). */
  readonly batchSql?: string;
  /** Read with each earning partner: a SQL expression over the partner row `p`. */
  readonly partnerSql?: string;
  /** Read under each member's wallet lock: a SQL expression over the account `a` and the member `mb`. */
  readonly memberSql?: string;
  /** Adjust the calculation's input (rules, multipliers) for one purchase at `partnerId`. */
  shape?(input: EarnInputs, data: EarnPluginData, partnerId: string): void;
  /**
   * Limits on what the calculation may give (campaign budgets, per-member caps), read for the
   * batch's members after their wallets are locked (lock: an earn; false: a preview). null: none.
   */
  limit?(db: Db, batch: unknown, memberIds: readonly string[], lock: boolean): Promise<EarnLimiter | null>;
  /** Act on the posted earn, in its transaction and under its wallet lock. */
  afterEarn?(m: Tx, earn: PostedEarn, data: EarnPluginData): Promise<void>;
}
