#!/usr/bin/env bash
# The README's five-minute tour, runnable against a server started with `npm start`:
#   bash scripts/tour.sh <admin token> <nusantara-air API key>      (needs only node)
# Each run onboards its own café and member (their slug and e-mail carry a run tag), so the tour
# runs again on the same database. It stops at the first GraphQL error or missing value, printing
# it, with exit code 1.
set -euo pipefail
URL=${URL:-http://localhost:4000/graphql}
ADMIN=${1:?usage: bash scripts/tour.sh <admin token> <nusantara-air API key>}
AIRLINE_KEY=${2:?usage: bash scripts/tour.sh <admin token> <nusantara-air API key>}
RUN=${TOUR_RUN:-$(date +%s)-$RANDOM}

# One GraphQL request, in node (which the gateway needs anyway; no curl or jq to install):
#   node -e "$GQL" -- URL TOKEN QUERY VARIABLES-JSON      (TOKEN empty: anonymous)
# prints the answer's data on one line; a refusal, or an answer with errors, stops the tour.
GQL='
  const [url, token, query, variables] = process.argv.slice(1);
  const fail = (why) => { console.error(`tour: ${why}`); process.exit(1); };
  const headers = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
  fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables: JSON.parse(variables) }) })
    .then((res) => res.text())
    .then((text) => {
      let answer;
      try { answer = JSON.parse(text); } catch {}
      if (!answer || typeof answer !== "object") fail(`the gateway did not answer in JSON: ${text.slice(0, 300)}`);
      if (Array.isArray(answer.errors)) fail(`the gateway refused the request: ${answer.errors.map((e) => `[${e.extensions?.code}] ${e.message}`).join("; ")}`);
      if (answer.data == null) fail(`no data in the answer: ${text.slice(0, 300)}`);
      console.log(JSON.stringify(answer.data));
    }, (err) => fail(`cannot reach ${url}: ${err.cause?.message ?? err.message}`));'
# pick PATH: a value in the last answer's data (e.g. .createPartner.id); stops the tour when missing.
PICK='
  const [path, data] = process.argv.slice(1);
  let v = JSON.parse(data);
  for (const k of path.split(".").filter(Boolean)) v = v == null ? v : v[k];
  if (v == null || v === "") { console.error(`tour: no value at ${path} in ${data}`); process.exit(1); }
  console.log(typeof v === "string" ? v : JSON.stringify(v));'
# run TOKEN QUERY [VARIABLES-JSON]: the request; prints the answer's data and keeps it in $LAST.
run() {
  LAST=$(node -e "$GQL" -- "$URL" "$1" "$2" "${3:-{\}}")
  printf '%s\n' "$LAST"
}
pick() { node -e "$PICK" -- "$1" "$LAST"; }
step() { printf '\n## %s\n' "$1"; }

step "1. Admin onboards a partner, sets its rates and gives it an API key"
run "$ADMIN" 'mutation { createPartner(input: {slug: "teh-tarik-'"$RUN"'", name: "Teh Tarik Bar", currencyCode: "MYR"}) { id slug currencyCode } }'
CAFE=$(pick .createPartner.id)
run "$ADMIN" 'mutation($p: ID!) { setExchangeRate(input: {partnerId: $p, earnRate: "1.5", burnRate: "0.01"}) { version earnRate burnRate } }' "{\"p\":\"$CAFE\"}"
run "$ADMIN" 'mutation($p: ID!) { createPartnerApiKey(partnerId: $p) }' "{\"p\":\"$CAFE\"}"
CAFE_KEY=$(pick .createPartnerApiKey)

step "2. The café's till enrols a member and records a 40.00 MYR purchase (1.5 points per ringgit)"
run "$CAFE_KEY" 'mutation { enrollMember(input: {email: "mei-'"$RUN"'@example.com", displayName: "Mei Lin"}) { id tier { name } } }'
MEMBER=$(pick .enrollMember.id)
EARN_QUERY='mutation($m: ID!) { earnPoints(input: {memberId: $m, amount: "40.00", currencyCode: "MYR", channel: IN_STORE,
  externalRef: "TT-1001", idempotencyKey: "till-7-TT-1001"}) { id points balanceAfter purchase { amount currencyCode } } }'
run "$CAFE_KEY" "$EARN_QUERY" "{\"m\":\"$MEMBER\"}"
EARN=$(pick .earnPoints.id)

step "3. The till retries the same request (say the network dropped): same answer, nothing credited twice"
run "$CAFE_KEY" "$EARN_QUERY" "{\"m\":\"$MEMBER\"}"

step "4. The member, with a token the café issued, reads its balance and tier"
run "$CAFE_KEY" 'mutation($m: ID!) { issueMemberToken(memberId: $m) }' "{\"m\":\"$MEMBER\"}" >/dev/null
TOKEN=$(pick .issueMemberToken)
run "$TOKEN" 'query($m: ID!) { viewer member(id: $m) { balance { available lifetimeEarned qualifyingPoints } tier { name } nextTier { name } pointsToNextTier } }' "{\"m\":\"$MEMBER\"}"

step "5. The airline lists a reward; the member finds it in the coalition catalog and redeems it there"
run "$AIRLINE_KEY" 'mutation { upsertReward(input: {name: "Seat upgrade voucher", category: "travel", pointsCost: 45, stock: 100}) { id name pointsCost stock } }'
REWARD=$(pick .upsertReward.id)
run "$TOKEN" 'query($m: ID!) { catalog(filter: {affordableFor: $m, category: "travel"}) { totalCount edges { node { name pointsCost partner { slug } } } } }' "{\"m\":\"$MEMBER\"}"
run "$TOKEN" 'mutation($m: ID!, $r: ID!) { redeemReward(input: {memberId: $m, rewardId: $r, idempotencyKey: "app-redeem-1"}) { code pointsSpent transaction { points balanceAfter partner { slug } } } }' "{\"m\":\"$MEMBER\",\"r\":\"$REWARD\"}"

step "6. The café refunds half the purchase (20.00 MYR): the 30 points earned on it are clawed back"
run "$CAFE_KEY" 'mutation($t: ID!) { reverseTransaction(input: {transactionId: $t, points: 30, reason: "refund: half of TT-1001", idempotencyKey: "refund-TT-1001"}) { type points balanceAfter reverses { id } } }' "{\"t\":\"$EARN\"}"

step "7. Month end: the admin reads the settlement and who honoured whose points"
hourFromNow() { node -e 'console.log(new Date(Date.now() + Number(process.argv[1]) * 3600e3).toISOString())' -- "$1"; }
FROM=$(hourFromNow -1)
TO=$(hourFromNow 1)
run "$ADMIN" 'query($f: DateTime!, $t: DateTime!) { settlement(from: $f, to: $t) { partner { slug } pointsIssued pointsRedeemed owedByPartner { amount currencyCode } owedToPartner { amount currencyCode } net { amount currencyCode } } }' "{\"f\":\"$FROM\",\"t\":\"$TO\"}"
run "$ADMIN" 'query($f: DateTime!, $t: DateTime!) { settlementMatrix(from: $f, to: $t) { issuer { slug } redeemer { slug } points value { amount currencyCode } } }' "{\"f\":\"$FROM\",\"t\":\"$TO\"}"
