#!/usr/bin/env bash
# The README's five-minute tour, runnable: bash scripts/tour.sh <admin token> <nusantara-air API key>
# against a server started with `npm start` (URL defaults to http://localhost:4000/graphql).
set -euo pipefail
URL=${URL:-http://localhost:4000/graphql}
ADMIN=$1
AIRLINE_KEY=$2

# gql TOKEN QUERY [VARIABLES-JSON]: one GraphQL request, pretty-printed.
gql() {
  curl -s "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" \
    -d "$(jq -n --arg q "$2" --argjson v "${3:-{\}}" '{query: $q, variables: $v}')"
}
step() { printf '\n## %s\n' "$1" >&2; }

step "1. Admin onboards a partner, sets its rates and gives it an API key"
CAFE=$(gql "$ADMIN" 'mutation { createPartner(input: {slug: "teh-tarik", name: "Teh Tarik Bar", currencyCode: "MYR"}) { id slug currencyCode } }' | tee /dev/stderr | jq -r .data.createPartner.id)
gql "$ADMIN" 'mutation($p: ID!) { setExchangeRate(input: {partnerId: $p, earnRate: "1.5", burnRate: "0.01"}) { version earnRate burnRate } }' "{\"p\":\"$CAFE\"}" >&2
CAFE_KEY=$(gql "$ADMIN" 'mutation($p: ID!) { createPartnerApiKey(partnerId: $p) }' "{\"p\":\"$CAFE\"}" | jq -r .data.createPartnerApiKey)
echo "API key: $CAFE_KEY" >&2

step "2. The café's till enrols a member and records a 40.00 MYR purchase"
MEMBER=$(gql "$CAFE_KEY" 'mutation { enrollMember(input: {email: "mei@example.com", displayName: "Mei Lin"}) { id tier { name } } }' | tee /dev/stderr | jq -r .data.enrollMember.id)
EARN=$(gql "$CAFE_KEY" 'mutation($m: ID!) { earnPoints(input: {memberId: $m, amount: "40.00", currencyCode: "MYR", channel: IN_STORE,
    externalRef: "TT-1001", idempotencyKey: "till-7-TT-1001"}) { id points balanceAfter purchase { amount currencyCode } } }' "{\"m\":\"$MEMBER\"}" | tee /dev/stderr | jq -r .data.earnPoints.id)

step "3. The till retries the same request (say the network dropped): nothing is credited twice"
gql "$CAFE_KEY" 'mutation($m: ID!) { earnPoints(input: {memberId: $m, amount: "40.00", currencyCode: "MYR", channel: IN_STORE,
    externalRef: "TT-1001", idempotencyKey: "till-7-TT-1001"}) { id points balanceAfter } }' "{\"m\":\"$MEMBER\"}" >&2

step "4. The member, with a token the café issued, reads its balance"
TOKEN=$(gql "$CAFE_KEY" 'mutation($m: ID!) { issueMemberToken(memberId: $m) }' "{\"m\":\"$MEMBER\"}" | jq -r .data.issueMemberToken)
gql "$TOKEN" 'query($m: ID!) { viewer member(id: $m) { balance { available lifetimeEarned qualifyingPoints } tier { name } nextTier { name } pointsToNextTier } }' "{\"m\":\"$MEMBER\"}" >&2

step "5. The airline lists a reward; the member finds it in the coalition catalog and redeems it"
REWARD=$(gql "$AIRLINE_KEY" 'mutation { upsertReward(input: {name: "Seat upgrade voucher", category: "travel", pointsCost: 45, stock: 100}) { id name pointsCost stock } }' | tee /dev/stderr | jq -r .data.upsertReward.id)
gql "$TOKEN" 'query($m: ID!) { catalog(filter: {affordableFor: $m, category: "travel"}) { totalCount edges { node { name pointsCost partner { slug } } } } }' "{\"m\":\"$MEMBER\"}" >&2
REDEEM=$(gql "$TOKEN" 'mutation($m: ID!, $r: ID!) { redeemReward(input: {memberId: $m, rewardId: $r, idempotencyKey: "app-redeem-1"}) { code pointsSpent transaction { points balanceAfter partner { slug } } } }' "{\"m\":\"$MEMBER\",\"r\":\"$REWARD\"}" | tee /dev/stderr)

step "6. The café refunds half the purchase: the points earned on that half are clawed back"
gql "$CAFE_KEY" 'mutation($t: ID!) { reverseTransaction(input: {transactionId: $t, points: 30, reason: "refund: half of TT-1001", idempotencyKey: "refund-TT-1001"}) { type points balanceAfter reverses { id } } }' "{\"t\":\"$EARN\"}" >&2

step "7. Month end: the admin reads the settlement and who honoured whose points"
FROM=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ); TO=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
gql "$ADMIN" 'query($f: DateTime!, $t: DateTime!) { settlement(from: $f, to: $t) { partner { slug } pointsIssued pointsRedeemed owedByPartner { amount currencyCode } owedToPartner { amount currencyCode } net { amount currencyCode } } }' "{\"f\":\"$FROM\",\"t\":\"$TO\"}" >&2
gql "$ADMIN" 'query($f: DateTime!, $t: DateTime!) { settlementMatrix(from: $f, to: $t) { issuer { slug } redeemer { slug } points value { amount currencyCode } } }' "{\"f\":\"$FROM\",\"t\":\"$TO\"}" >&2
