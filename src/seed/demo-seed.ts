// A small demo coalition for an empty database: a café in MYR, a fashion store in THB and an
// airline in IDR, with rates, and three members with some history. Written through the same
// services the API uses, so the demo exercises the real ledger.
import { BREAK_GLASS } from '../modules/auth/viewer';
import { ChallengeKind } from '../modules/challenge/challenge.types';
import { queryOne } from '../db/sql';
import type { Services } from '../app/services';
import { Channel } from '../modules/ledger/points-transaction.entity';
import { SYSTEM_ACTOR } from '../modules/audit/audit-trail';
import { recordLink } from '../modules/linking/partner-link.service';
import { StaffRole } from '../modules/auth/staff-role';

/**
 * The demo operator's owner account, for signing in to the web console (/console) by hand. A fixed
 * password is fine here only because the demo is never seeded in production.
 */
export const DEMO_STAFF = { email: 'owner@coalition.example', password: 'demo-owner-passphrase', displayName: 'Demo Owner' } as const;

export const DEMO_PARTNERS = [
  // Rates chosen so 1 point is worth about 0.01 MYR everywhere.
  { slug: 'kopi-kita', name: 'Kopi Kita Café', currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' },
  { slug: 'siam-style', name: 'Siam Style Fashion', currencyCode: 'THB', earnRate: '0.15', burnRate: '0.08' },
  { slug: 'nusantara-air', name: 'Nusantara Air', currencyCode: 'IDR', earnRate: '0.0003', burnRate: '35' },
] as const;

const DEMO_MEMBERS = [
  { email: 'aisyah@example.com', displayName: 'Aisyah Rahman' },
  { email: 'somchai@example.com', displayName: 'Somchai Prasert' },
  { email: 'budi@example.com', displayName: 'Budi Santoso' },
] as const;

// [member index, partner index, amount, receipt]
const DEMO_PURCHASES: [number, number, string, string][] = [
  [0, 0, '18.50', 'KK-0001'],
  [0, 1, '2400.00', 'SS-0001'],
  [0, 2, '1850000', 'NA-0001'],
  [1, 1, '5200.00', 'SS-0002'],
  [1, 0, '9.90', 'KK-0002'],
  [2, 2, '4200000', 'NA-0002'],
];

// [partner index, name, category, points, stock (null: unlimited), Gold only]
const DEMO_REWARDS: [number, string, string, number, number | null, boolean][] = [
  [0, 'Free kopi', 'food-and-drink', 120, null, false],
  [0, 'Breakfast set', 'food-and-drink', 450, null, false],
  [1, '10% off voucher', 'fashion', 300, 500, false],
  [1, 'Private styling session', 'fashion', 2500, 10, true],
  [2, 'Seat upgrade', 'travel', 900, 50, false],
  [2, 'Lounge access', 'travel', 1500, null, false],
];

export async function databaseIsEmpty(services: Services): Promise<boolean> {
  const row = await queryOne<{ n: number }>(services.db, 'SELECT (SELECT count(*) FROM partner WHERE NOT is_coalition) + (SELECT count(*) FROM member) AS n');
  return row!.n === 0;
}

export async function seedDemoCoalition(services: Services): Promise<void> {
  const admin = BREAK_GLASS;
  await services.staff.create({ ...DEMO_STAFF, roles: [StaffRole.OWNER] }, SYSTEM_ACTOR);
  const partners = [];
  for (const p of DEMO_PARTNERS) {
    const partner = await services.partners.create(p);
    await services.rates.set({ partnerId: partner.id, earnRate: p.earnRate, burnRate: p.burnRate });
    partners.push(partner);
  }
  const members = [];
  for (const m of DEMO_MEMBERS) members.push(await services.members.enroll(m, partners[0]!.id));
  const gold = (await services.tiers.all()).find((t) => t.name === 'Gold');
  const rewards = [];
  for (const [pi, name, category, pointsCost, stock, goldOnly] of DEMO_REWARDS) {
    rewards.push(
      await services.catalog.upsert(
        admin,
        {
          partnerId: partners[pi]!.id,
          name,
          category,
          pointsCost,
          stock,
          minTierId: goldOnly ? (gold?.id ?? null) : null,
          active: true,
        },
        undefined,
        SYSTEM_ACTOR,
      ),
    );
  }
  for (const [mi, pi, amount, ref] of DEMO_PURCHASES) {
    const partner = partners[pi]!;
    // As if each member had linked the partners it shops at (the café enrolled them all, so is
    // linked already): those partners' apps may issue it member tokens.
    await recordLink(services.db, members[mi]!.id, partner.id, 'SEED');
    await services.earn.earn(admin, {
      memberId: members[mi]!.id,
      partnerId: partner.id,
      amount,
      currencyCode: partner.currencyCode,
      channel: Channel.IN_STORE,
      externalRef: ref,
      idempotencyKey: `demo-seed-${ref}`,
    });
  }
  // Aisyah (earned at all three) spends at the café: a cross-partner redemption in the history.
  await services.redemptions.redeem(admin, { memberId: members[0]!.id, rewardId: rewards[0]!.id, idempotencyKey: 'demo-seed-redeem-1' });
  // A running coalition challenge, created after the demo purchases so it starts from zero: the
  // next purchases at three different partners within a window complete it (bonus and badge).
  // Rolling 30-day windows, so a demo database kept in .data never sees it end.
  await services.challenges.create(
    admin,
    {
      name: 'Shop at three different partners within 30 days',
      kind: ChallengeKind.DISTINCT_PARTNERS,
      target: '3',
      windowDays: 30,
      bonusPoints: 500,
      badgeName: 'Coalition explorer',
    },
    SYSTEM_ACTOR,
  );
}

export interface DemoCredentials {
  partners: { slug: string; id: string; apiKey: string }[];
  member: { id: string; email: string; token: string } | null;
  /** The demo owner's sign-in, when the account exists (databases seeded before it have none). */
  staff: { email: string; password: string } | null;
}

/**
 * Keys are stored hashed and shown once, so each start mints fresh demo keys to print (older ones
 * keep working until revoked). Only for the demo partners, only outside production.
 */
export async function mintDemoCredentials(services: Services): Promise<DemoCredentials> {
  const partners = [];
  for (const p of DEMO_PARTNERS) {
    const row = await queryOne<{ id: string }>(services.db, 'SELECT id FROM partner WHERE slug = $1', [p.slug]);
    if (row) partners.push({ slug: p.slug, id: row.id, apiKey: (await services.apiKeys.create(row.id)).key });
  }
  const member = await services.members.byEmail(DEMO_MEMBERS[0].email);
  const staff = await queryOne(services.db, 'SELECT 1 FROM staff_user WHERE email = $1 AND deactivated_at IS NULL', [DEMO_STAFF.email]);
  return {
    staff: staff ? { email: DEMO_STAFF.email, password: DEMO_STAFF.password } : null,
    partners,
    member: member ? { id: member.id, email: member.email, token: services.memberTokens.issue(member.id, partners[0]?.id ?? null).token } : null,
  };
}
