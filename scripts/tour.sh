#!/usr/bin/env bash
# The README's five-minute tour, runnable against a server started with `npm start`:
#   bash scripts/tour.sh <admin token> <nusantara-air API key>      (needs curl and jq)
set -euo pipefail
URL=${URL:-http://localhost:4000/graphql}
ADMIN=$1
AIRLINE_KEY=$2

# gql TOKEN QUERY [VARIABLES-JSON]: one GraphQL request.
gql() {
  curl -s "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" \
    -d "$(jq -n --arg q "$2" --argjson v "${3:-{\}}" '{query: $q, variables: $v}')"
}
# run …: the same, printing the answer on one line and keeping it in $LAST; pick PATH reads it.
run() { LAST=$(gql "$@"); jq -c . <<<"$LAST"; }
pick() { jq -r "$1" <<<"$LAST"; }
step() { printf '\n## %s\n' "$1"; }

step "1. Admin onboards a partner, sets its rates and gives it an API key"
run "$ADMIN" 'mutation { createPartner(input: {slug: "teh-tarik", name: "Teh Tarik Bar", currencyCode: "MYR"}) { id slug currencyCode } }'
CAFE=$(pick .data.createPartner.id)
run "$ADMIN" 'mutation($p: ID!) { setExchangeRate(input: {partnerId: $p, earnRate: "1.5", burnRate: "0.01"}) { version earnRate burnRate } }' "{\"p\":\"$CAFE\"}"
run "$ADMIN" 'mutation($p: ID!) { createPartnerApiKey(partnerId: $p) }' "{\"p\":\"$CAFE\"}"
CAFE_KEY=$(pick .data.createPartnerApiKey)

step "2. The café's till enrols a member and records a 40.00 MYR purchase (1.5 points per ringgit)"
run "$CAFE_KEY" 'mutation { enrollMember(input: {email: "mei@example.com", displayName: "Mei Lin"}) { id tier { name } } }'
MEMBER=$(pick .data.enrollMember.id)
EARN_QUERY='mutation($m: ID!) { earnPoints(input: {memberId: $m, amount: "40.00", currencyCode: "MYR", channel: IN_STORE,
  externalRef: "TT-1001", idempotencyKey: "till-7-TT-1001"}) { id points balanceAfter purchase { amount currencyCode } } }'
run "$CAFE_KEY" "$EARN_QUERY" "{\"m\":\"$MEMBER\"}"
EARN=$(pick .data.earnPoints.id)

step "3. The till retries the same request (say the network dropped): same answer, nothing credited twice"
run "$CAFE_KEY" "$EARN_QUERY" "{\"m\":\"$MEMBER\"}"

step "4. The member, with a token the café issued, reads its balance and tier"
run "$CAFE_KEY" 'mutation($m: ID!) { issueMemberToken(memberId: $m) }' "{\"m\":\"$MEMBER\"}" >/dev/null
TOKEN=$(pick .data.issueMemberToken)
run "$TOKEN" 'query($m: ID!) { viewer member(id: $m) { balance { available lifetimeEarned qualifyingPoints } tier { name } nextTier { name } pointsToNextTier } }' "{\"m\":\"$MEMBER\"}"

step "5. The airline lists a reward; the member finds it in the coalition catalog and redeems it there"
run "$AIRLINE_KEY" 'mutation { upsertReward(input: {name: "Seat upgrade voucher", category: "travel", pointsCost: 45, stock: 100}) { id name pointsCost stock } }'
REWARD=$(pick .data.upsertReward.id)
run "$TOKEN" 'query($m: ID!) { catalog(filter: {affordableFor: $m, category: "travel"}) { totalCount edges { node { name pointsCost partner { slug } } } } }' "{\"m\":\"$MEMBER\"}"
run "$TOKEN" 'mutation($m: ID!, $r: ID!) { redeemReward(input: {memberId: $m, rewardId: $r, idempotencyKey: "app-redeem-1"}) { code pointsSpent transaction { points balanceAfter partner { slug } } } }' "{\"m\":\"$MEMBER\",\"r\":\"$REWARD\"}"

step "6. The café refunds half the purchase (20.00 MYR): the 30 points earned on it are clawed back"
run "$CAFE_KEY" 'mutation($t: ID!) { reverseTransaction(input: {transactionId: $t, points: 30, reason: "refund: half of TT-1001", idempotencyKey: "refund-TT-1001"}) { type points balanceAfter reverses { id } } }' "{\"t\":\"$EARN\"}"

step "7. Month end: the admin reads the settlement and who honoured whose points"
FROM=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
run "$ADMIN" 'query($f: DateTime!, $t: DateTime!) { settlement(from: $f, to: $t) { partner { slug } pointsIssued pointsRedeemed owedByPartner { amount currencyCode } owedToPartner { amount currencyCode } net { amount currencyCode } } }' "{\"f\":\"$FROM\",\"t\":\"$TO\"}"
run "$ADMIN" 'query($f: DateTime!, $t: DateTime!) { settlementMatrix(from: $f, to: $t) { issuer { slug } redeemer { slug } points value { amount currencyCode } } }' "{\"f\":\"$FROM\",\"t\":\"$TO\"}"
