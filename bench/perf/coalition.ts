// The benchmark's coalition, built through the API like a real one: three partners (MYR, THB,
// IDR) with rates and keys, N members enrolled round-robin by them, each with a member token, and
// a set of "dashboard" members given a history of earns to page through.
import { CREATE_KEY, CREATE_PARTNER, EARN, ENROL, MEMBER_TOKEN, SET_RATE } from './operations';
import { gql, inParallel } from './http';

export interface BenchPartner {
  id: string;
  slug: string;
  currencyCode: string;
  apiKey: string;
  /** A purchase amount in this currency that earns a handful of points. */
  amount: string;
}

export interface BenchMember {
  id: string;
  token: string;
}

/** A purchase of the partner's usual amount by the member; `ref` is its receipt and idempotency key. */
export function earnInput(partner: BenchPartner, member: { id: string }, ref: string) {
  return { memberId: member.id, amount: partner.amount, currencyCode: partner.currencyCode, externalRef: ref, idempotencyKey: ref };
}

/** The HTTP body of that earn. */
export function earnBody(partner: BenchPartner, member: { id: string }, ref: string): string {
  return JSON.stringify({ query: EARN, variables: { input: earnInput(partner, member, ref) } });
}

export interface BenchCoalition {
  partners: BenchPartner[];
  members: BenchMember[];
  /** Members with at least `historyLength` transactions, for the dashboard query. */
  dashboardMembers: BenchMember[];
}

const PARTNERS = [
  { slug: 'bench-kopi', name: 'Bench Kopi', currencyCode: 'MYR', earnRate: '1', burnRate: '0.01', amount: '12.50' },
  { slug: 'bench-siam', name: 'Bench Siam', currencyCode: 'THB', earnRate: '0.1', burnRate: '0.08', amount: '250.00' },
  { slug: 'bench-air', name: 'Bench Air', currencyCode: 'IDR', earnRate: '0.001', burnRate: '35', amount: '45000' },
];

export async function buildCoalition(
  url: string,
  adminToken: string,
  opts: { members: number; dashboardMembers: number; historyLength: number; runId: string },
): Promise<BenchCoalition> {
  const partners: BenchPartner[] = [];
  for (const p of PARTNERS) {
    const { createPartner } = await gql(url, CREATE_PARTNER, { input: { slug: p.slug, name: p.name, currencyCode: p.currencyCode } }, adminToken);
    await gql(url, SET_RATE, { input: { partnerId: createPartner.id, earnRate: p.earnRate, burnRate: p.burnRate } }, adminToken);
    const { createPartnerApiKey } = await gql(url, CREATE_KEY, { partnerId: createPartner.id }, adminToken);
    partners.push({ id: createPartner.id, slug: p.slug, currencyCode: p.currencyCode, apiKey: createPartnerApiKey, amount: p.amount });
  }
  const indexes = Array.from({ length: opts.members }, (_, i) => i);
  const members = await inParallel(indexes, 16, async (i) => {
    const partner = partners[i % partners.length]!;
    const { enrollMember } = await gql(
      url,
      ENROL,
      { input: { email: `bench-${opts.runId}-${i}@example.com`, displayName: `Bench member ${i}` } },
      partner.apiKey,
    );
    const { issueMemberToken } = await gql(url, MEMBER_TOKEN, { memberId: enrollMember.id }, partner.apiKey);
    return { id: enrollMember.id as string, token: issueMemberToken as string };
  });
  // The last members get a history (earns at every partner), so the dashboard has 20 rows to show.
  const dashboardMembers = members.slice(-opts.dashboardMembers);
  const earns = dashboardMembers.flatMap((m) => Array.from({ length: opts.historyLength }, (_, k) => ({ m, k })));
  await inParallel(earns, 16, async ({ m, k }, i) => {
    const partner = partners[k % partners.length]!;
    const ref = `hist-${opts.runId}-${i}`;
    await gql(url, EARN, { input: earnInput(partner, m, ref) }, partner.apiKey);
  });
  return { partners, members, dashboardMembers };
}
