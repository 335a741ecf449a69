// The member at the counter: found by the card number (typed, or by a scanner that types it and
// presses Enter), then the basket: preview, earn, pay with points; and refunds of this till's
// recent transactions with the member.
import { useLazyQuery, useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDateTime, formatMoney, formatPoints } from '../lib/format';
import { idempotencyKey } from '../lib/session';
import { ApiError } from '../ui/ApiError';
import { Section } from '../ui/Shell';
import type { TillPartner } from './TillApp';

const TillMember = graphql(`
  query TillMember($card: String!) {
    memberByCard(cardNumber: $card) {
      id
      cardNumber
      displayName
      status
      tier {
        id
        name
      }
      balance {
        available
        pending
      }
      transactions(first: 10) {
        edges {
          node {
            id
            type
            points
            createdAt
            externalRef
            purchase {
              amount
              currencyCode
            }
          }
        }
      }
    }
  }
`);

const TillPreview = graphql(`
  query TillPreview($input: PreviewEarnInput!) {
    previewEarn(input: $input) {
      points
      breakdown {
        source
        points
      }
    }
  }
`);

const TillEarn = graphql(`
  mutation TillEarn($input: EarnPointsInput!) {
    earnPoints(input: $input) {
      id
      type
      points
      balanceAfter
      createdAt
      externalRef
      purchase {
        amount
        currencyCode
      }
      member {
        id
        balance {
          available
        }
      }
    }
  }
`);

const TillPay = graphql(`
  mutation TillPay($input: PayWithPointsInput!) {
    payWithPoints(input: $input) {
      id
      points
      bill {
        amount
        currencyCode
      }
      discount {
        amount
        currencyCode
      }
      member {
        id
        balance {
          available
        }
      }
    }
  }
`);

const TillRefund = graphql(`
  mutation TillRefund($input: ReverseTransactionInput!) {
    reverseTransaction(input: $input) {
      id
      type
      points
      balanceAfter
      member {
        id
        balance {
          available
        }
      }
    }
  }
`);

const receipt = () => `TILL-${Date.now().toString(36).toUpperCase()}`;

export function MemberPanel({ partner }: { partner: TillPartner }) {
  const { t } = useTranslation();
  const [card, setCard] = useState('');
  const [find, found] = useLazyQuery(TillMember, { fetchPolicy: 'network-only' });
  const member = found.data?.memberByCard ?? null;
  const [amount, setAmount] = useState('');
  const [ref, setRef] = useState(receipt);
  const [preview, previewed] = useLazyQuery(TillPreview, { fetchPolicy: 'network-only' });
  const [earn, earned] = useMutation(TillEarn);
  const [payPoints, setPayPoints] = useState('');
  const [pay, paid] = useMutation(TillPay);
  const [refund, refunded] = useMutation(TillRefund);
  const reload = () => member && void find({ variables: { card: member.cardNumber } });

  return (
    <>
      <Section title={t('till.identify')}>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void find({ variables: { card } }).catch(() => undefined);
          }}
        >
          <label>
            {t('till.cardNumber')}
            <input name="card" inputMode="numeric" autoComplete="off" value={card} onChange={(e) => setCard(e.target.value)} />
          </label>
          <button type="submit">{t('till.find')}</button>
        </form>
        <ApiError error={found.error} />
        {found.called && !found.loading && !found.error && !member && <p role="status">{t('till.noMember')}</p>}
        {member && (
          <dl className="facts" aria-label={t('till.member')}>
            <dt>{t('till.member')}</dt>
            <dd>{member.displayName}</dd>
            <dt>{t('common.tier')}</dt>
            <dd>{member.tier.name}</dd>
            <dt>{t('common.balance')}</dt>
            <dd data-testid="till-balance">{formatPoints(member.balance.available)}</dd>
          </dl>
        )}
      </Section>
      {member && (
        <>
          <Section title={t('till.basket')}>
            <form
              className="row"
              onSubmit={(e) => {
                e.preventDefault();
                void earn({
                  variables: {
                    input: {
                      memberId: member.id,
                      amount,
                      currencyCode: partner.currencyCode,
                      channel: 'IN_STORE',
                      externalRef: ref,
                      idempotencyKey: idempotencyKey('till-earn'),
                    },
                  },
                })
                  .then(() => {
                    setRef(receipt());
                    reload();
                  })
                  .catch(() => undefined);
              }}
            >
              <label>
                {t('till.amount', { currency: partner.currencyCode })}
                <input name="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
              </label>
              <label>
                {t('till.receipt')}
                <input name="receipt" value={ref} onChange={(e) => setRef(e.target.value)} />
              </label>
              <button
                type="button"
                className="secondary"
                onClick={() =>
                  void preview({ variables: { input: { memberId: member.id, amount, currencyCode: partner.currencyCode, channel: 'IN_STORE' } } }).catch(
                    () => undefined,
                  )
                }
              >
                {t('till.preview')}
              </button>
              <button type="submit">{t('till.recordEarn')}</button>
            </form>
            <ApiError error={previewed.error} />
            {previewed.data && (
              <p role="status" data-testid="till-preview">
                {t('till.wouldEarn', { points: formatPoints(previewed.data.previewEarn.points) })}{' '}
                <span className="muted">{previewed.data.previewEarn.breakdown.map((b) => `${b.source} ${formatPoints(b.points)}`).join(' · ')}</span>
              </p>
            )}
            <ApiError error={earned.error} />
            {earned.data && (
              <p role="status" className="ok" data-testid="till-earned">
                {t('till.earned', { points: formatPoints(earned.data.earnPoints.points), balance: formatPoints(earned.data.earnPoints.balanceAfter) })}
              </p>
            )}
          </Section>
          <Section title={t('till.payWithPoints')}>
            <form
              className="row"
              onSubmit={(e) => {
                e.preventDefault();
                void pay({
                  variables: {
                    input: {
                      memberId: member.id,
                      billAmount: amount,
                      currencyCode: partner.currencyCode,
                      points: Number(payPoints),
                      externalRef: ref,
                      idempotencyKey: idempotencyKey('till-pay'),
                    },
                  },
                })
                  .then(() => {
                    setRef(receipt());
                    reload();
                  })
                  .catch(() => undefined);
              }}
            >
              <label>
                {t('till.bill', { currency: partner.currencyCode })}
                <input name="bill" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
              </label>
              <label>
                {t('till.pointsToUse')}
                <input name="points" inputMode="numeric" value={payPoints} onChange={(e) => setPayPoints(e.target.value)} />
              </label>
              <button type="submit">{t('till.pay')}</button>
            </form>
            <ApiError error={paid.error} />
            {paid.data && (
              <p role="status" className="ok">
                {t('till.paid', {
                  points: formatPoints(paid.data.payWithPoints.points),
                  discount: formatMoney(paid.data.payWithPoints.discount.amount, paid.data.payWithPoints.discount.currencyCode),
                })}
              </p>
            )}
          </Section>
          <Section title={t('till.recent')} scroll>
            <ApiError error={refunded.error} />
            {refunded.data && (
              <p role="status" className="ok">
                {t('till.refunded', { points: formatPoints(refunded.data.reverseTransaction.points) })}
              </p>
            )}
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('common.when')}</th>
                  <th scope="col">{t('common.type')}</th>
                  <th scope="col">{t('common.points')}</th>
                  <th scope="col">{t('common.purchase')}</th>
                  <th scope="col">
                    <span className="sr-only">{t('common.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {member.transactions.edges.map(({ node }) => (
                  <tr key={node.id}>
                    <td>{formatDateTime(node.createdAt)}</td>
                    <td>{t(`txType.${node.type}`, { defaultValue: node.type })}</td>
                    <td className="num">{formatPoints(node.points)}</td>
                    <td>{node.purchase ? formatMoney(node.purchase.amount, node.purchase.currencyCode) : '—'}</td>
                    <td>
                      {(node.type === 'EARN' || node.type === 'PAYMENT') && (
                        <button
                          type="button"
                          className="secondary"
                          onClick={() =>
                            void refund({
                              variables: { input: { transactionId: node.id, reason: 'refund at the till', idempotencyKey: idempotencyKey('till-refund') } },
                            })
                              .then(reload)
                              .catch(() => undefined)
                          }
                        >
                          {t('till.refund')}
                        </button>
                      )}
                    </td>
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
