// The documents chaos clients send: plain strings, so the runner needs nothing but the build.
export const ENROL = `mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id enrolledAt } }`;
export const MEMBER_BY_EMAIL = `query($email: String!) { memberByEmail(email: $email) { id enrolledAt } }`;
export const EARN = `mutation($input: EarnPointsInput!) { earnPoints(input: $input) { id points createdAt } }`;
export const REDEEM = `mutation($input: RedeemRewardInput!) { redeemReward(input: $input) { id createdAt transaction { id } } }`;
export const REVERSE = `mutation($input: ReverseTransactionInput!) { reverseTransaction(input: $input) { id points createdAt } }`;
export const BALANCE = `query($id: ID!) { member(id: $id) { balance { available } } }`;
export const MEMBER_CHECK = `query($id: ID!) { member(id: $id) { balance { available } transactions(first: 1) { totalCount } } }`;

export const CREATE_PARTNER = `mutation($input: CreatePartnerInput!) { createPartner(input: $input) { id } }`;
export const SET_RATE = `mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { id } }`;
export const CREATE_KEY = `mutation($partnerId: ID!) { createPartnerApiKey(partnerId: $partnerId) }`;
export const UPSERT_REWARD = `mutation($input: RewardInput!) { upsertReward(input: $input) { id } }`;
export const ISSUE_TOKEN = `mutation($memberId: ID!) { issueMemberToken(memberId: $memberId) }`;
export const LINK_CODE = `mutation($memberId: ID!) { createPartnerLinkCode(memberId: $memberId) { code } }`;
export const LINK_MEMBER = `mutation($code: String!) { linkMember(code: $code) { id } }`;
