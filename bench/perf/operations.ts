// The documents the benchmark sends: plain strings, so the runner needs nothing but the build.
export const CREATE_PARTNER = `mutation($input: CreatePartnerInput!) { createPartner(input: $input) { id } }`;
export const SET_RATE = `mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { id } }`;
export const CREATE_KEY = `mutation($partnerId: ID!) { createPartnerApiKey(partnerId: $partnerId) }`;
export const ENROL = `mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }`;
export const MEMBER_TOKEN = `mutation($memberId: ID!) { issueMemberToken(memberId: $memberId) }`;
export const EARN = `mutation($input: EarnPointsInput!) { earnPoints(input: $input) { id points balanceAfter } }`;
export const TRIVIAL = `{ viewer }`;
/** What a member's app shows on opening: balance, tier, progress and the last 20 movements. */
export const DASHBOARD = `query($id: ID!) { member(id: $id) {
  id displayName balance { available lifetimeEarned qualifyingPoints pending }
  tier { name rank } nextTier { name qualifyingPoints } pointsToNextTier
  transactions(first: 20) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id type points balanceAfter createdAt externalRef partner { name currencyCode } purchase { amount currencyCode } } } } } }`;
export const BALANCE_CHANGED = `subscription($memberId: ID!) { balanceChanged(memberId: $memberId) { eventId balance { available } transaction { id } } }`;
