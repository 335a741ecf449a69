// Member servicing: find a member by card, email or id (what the API lets this staff role see:
// personal fields masked without READ_PERSONAL_DATA), the history, and the servicing actions.
import { useLazyQuery, useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDateTime, formatPoints } from '../lib/format';
import { idempotencyKey } from '../lib/session';
import { ApiError } from '../ui/ApiError';
import { Section } from '../ui/Shell';
import { downloadText } from '../wallet/MyData';

const ByCard = graphql(`
  query ConsoleMemberByCard($card: String!) {
    memberByCard(cardNumber: $card) {
      ...ConsoleMember
    }
  }
`);
const ByEmail = graphql(`
  query ConsoleMemberByEmail($email: String!) {
    memberByEmail(email: $email) {
      ...ConsoleMember
    }
  }
`);
const ById = graphql(`
  query ConsoleMemberById($id: ID!) {
    member(id: $id) {
      ...ConsoleMember
    }
  }
`);
graphql(`
  fragment ConsoleMember on Member {
    id
    cardNumber
    email
    displayName
    status
    enrolledAt
    tier {
      id
      name
    }
    balance {
      available
      pending
      lifetimeEarned
    }
    transactions(first: 20) {
      edges {
        node {
          id
          type
          points
          balanceAfter
          createdAt
          reason
          partner {
            id
            name
          }
        }
      }
    }
  }
`);

const Adjust = graphql(`
  mutation ConsoleAdjust($input: AdjustPointsInput!) {
    adjustPoints(input: $input) {
      id
      points
      balanceAfter
    }
  }
`);
const Block = graphql(`
  mutation ConsoleBlock($memberId: ID!, $reason: String!) {
    blockMember(memberId: $memberId, reason: $reason) {
      id
      status
    }
  }
`);
const Unblock = graphql(`
  mutation ConsoleUnblock($memberId: ID!) {
    unblockMember(memberId: $memberId) {
      id
      status
    }
  }
`);
const Merge = graphql(`
  mutation ConsoleMerge($source: ID!, $target: ID!, $key: String!) {
    mergeMembers(sourceMemberId: $source, targetMemberId: $target, idempotencyKey: $key) {
      id
      status
    }
  }
`);
const Erase = graphql(`
  mutation ConsoleErase($memberId: ID!, $key: String!) {
    eraseMember(memberId: $memberId, idempotencyKey: $key) {
      id
      status
    }
  }
`);
const Export = graphql(`
  query ConsoleExport($memberId: ID!) {
    exportMemberData(memberId: $memberId)
  }
`);

type By = 'card' | 'email' | 'id';

export function Members() {
  const { t } = useTranslation();
  const [by, setBy] = useState<By>('card');
  const [needle, setNeedle] = useState('');
  const [byCard, card] = useLazyQuery(ByCard, { fetchPolicy: 'network-only' });
  const [byEmail, email] = useLazyQuery(ByEmail, { fetchPolicy: 'network-only' });
  const [byId, id] = useLazyQuery(ById, { fetchPolicy: 'network-only' });
  const result = by === 'card' ? card : by === 'email' ? email : id;
  const member = by === 'card' ? card.data?.memberByCard : by === 'email' ? email.data?.memberByEmail : id.data?.member;
  const search = () => {
    const v = needle.trim();
    const run = by === 'card' ? byCard({ variables: { card: v } }) : by === 'email' ? byEmail({ variables: { email: v } }) : byId({ variables: { id: v } });
    void run.catch(() => undefined);
  };
  const [adjust, adjusted] = useMutation(Adjust);
  const [block, blocked] = useMutation(Block);
  const [unblock, unblocked] = useMutation(Unblock);
  const [merge, merged] = useMutation(Merge);
  const [erase, erased] = useMutation(Erase);
  const [exportData, exported] = useLazyQuery(Export, { fetchPolicy: 'network-only' });
  const [points, setPoints] = useState('');
  const [reason, setReason] = useState('');
  const [target, setTarget] = useState('');
  const reload = () => search();
  return (
    <>
      <Section title={t('console.findMember')}>
        <form
          className="row"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            search();
          }}
        >
          <label>
            {t('console.findBy')}
            <select value={by} onChange={(e) => setBy(e.target.value as By)}>
              <option value="card">{t('till.cardNumber')}</option>
              <option value="email">{t('console.email')}</option>
              <option value="id">{t('console.memberId')}</option>
            </select>
          </label>
          <label>
            {t('console.searchFor')}
            <input name="needle" value={needle} onChange={(e) => setNeedle(e.target.value)} autoComplete="off" />
          </label>
          <button type="submit">{t('till.find')}</button>
        </form>
        <ApiError error={result.error} />
        {result.called && !result.loading && !result.error && !member && <p role="status">{t('till.noMember')}</p>}
      </Section>
      {member && (
        <>
          <Section title={member.displayName}>
            <dl className="facts" data-testid="member-facts">
              <dt>{t('console.email')}</dt>
              <dd>{member.email}</dd>
              <dt>{t('till.cardNumber')}</dt>
              <dd className="mono">{member.cardNumber}</dd>
              <dt>{t('console.memberId')}</dt>
              <dd className="mono">{member.id}</dd>
              <dt>{t('common.status')}</dt>
              <dd>{t(`memberStatus.${member.status}`)}</dd>
              <dt>{t('common.tier')}</dt>
              <dd>{member.tier.name}</dd>
              <dt>{t('common.balance')}</dt>
              <dd>{formatPoints(member.balance.available)}</dd>
            </dl>
            <ApiError error={adjusted.error ?? blocked.error ?? unblocked.error ?? merged.error ?? erased.error ?? exported.error} />
            <div className="row">
              <label>
                {t('common.points')}
                <input inputMode="numeric" value={points} onChange={(e) => setPoints(e.target.value)} />
              </label>
              <label>
                {t('console.reason')}
                <input value={reason} onChange={(e) => setReason(e.target.value)} />
              </label>
              <button
                type="button"
                onClick={() =>
                  void adjust({
                    variables: { input: { memberId: member.id, points: Number(points), reason, idempotencyKey: idempotencyKey('console-adjust') } },
                  })
                    .then(reload)
                    .catch(() => undefined)
                }
              >
                {t('console.adjust')}
              </button>
              {member.status === 'BLOCKED' ? (
                <button
                  type="button"
                  className="secondary"
                  onClick={() =>
                    void unblock({ variables: { memberId: member.id } })
                      .then(reload)
                      .catch(() => undefined)
                  }
                >
                  {t('console.unblock')}
                </button>
              ) : (
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    void block({ variables: { memberId: member.id, reason: reason || 'blocked from the console' } })
                      .then(reload)
                      .catch(() => undefined)
                  }
                >
                  {t('console.block')}
                </button>
              )}
              <button
                type="button"
                className="secondary"
                onClick={() =>
                  void exportData({ variables: { memberId: member.id } })
                    .then((r) => r.data && downloadText(`member-${member.id}.json`, r.data.exportMemberData))
                    .catch(() => undefined)
                }
              >
                {t('console.export')}
              </button>
            </div>
            <div className="row">
              <label>
                {t('console.mergeInto')}
                <input value={target} onChange={(e) => setTarget(e.target.value)} autoComplete="off" />
              </label>
              <button
                type="button"
                className="secondary"
                onClick={() =>
                  void merge({ variables: { source: member.id, target: target.trim(), key: idempotencyKey('console-merge') } })
                    .then(reload)
                    .catch(() => undefined)
                }
              >
                {t('console.merge')}
              </button>
              <button
                type="button"
                className="danger"
                onClick={() =>
                  window.confirm(t('console.eraseConfirm')) &&
                  void erase({ variables: { memberId: member.id, key: idempotencyKey('console-erase') } })
                    .then(reload)
                    .catch(() => undefined)
                }
              >
                {t('console.erase')}
              </button>
            </div>
          </Section>
          <Section title={t('wallet.tab.history')} scroll>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('common.when')}</th>
                  <th scope="col">{t('common.type')}</th>
                  <th scope="col">{t('common.partner')}</th>
                  <th scope="col">{t('common.points')}</th>
                  <th scope="col">{t('common.balance')}</th>
                </tr>
              </thead>
              <tbody>
                {member.transactions.edges.map(({ node }) => (
                  <tr key={node.id}>
                    <td>{formatDateTime(node.createdAt)}</td>
                    <td>
                      {t(`txType.${node.type}`, { defaultValue: node.type })}
                      {node.reason ? <span className="muted"> · {node.reason}</span> : null}
                    </td>
                    <td>{node.partner?.name ?? '—'}</td>
                    <td className="num">{formatPoints(node.points)}</td>
                    <td className="num">{formatPoints(node.balanceAfter)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
        </>
      )}
    </>
  );
}
