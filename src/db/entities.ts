import { Redemption } from '../modules/redemption/redemption.entity';
import { Reward } from '../modules/catalog/reward.entity';
import { ExchangeRate } from '../modules/exchange-rate/exchange-rate.entity';
import { PointsTransaction } from '../modules/ledger/points-transaction.entity';
import { Member } from '../modules/member/member.entity';
import { Partner } from '../modules/partner/partner.entity';
import { Tier } from '../modules/tier/tier.entity';

export const entities = [Partner, ExchangeRate, Tier, Member, PointsTransaction, Reward, Redemption];
