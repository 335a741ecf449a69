import { useQuery } from '@apollo/client/react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDateTime } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';

const Audit = graphql(`
  query ConsoleAuditLog($after: String) {
    auditLog(first: 50, after: $after) {
      edges {
        node {
          id
          at
          action
          actorKind
          actorKeyPrefix
          actorStaffUserId
          targetType
          targetId
          partner {
            id
            name
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export function AuditLog() {
  const { t } = useTranslation();
  const { data, error, loading, fetchMore } = useQuery(Audit, { fetchPolicy: 'network-only', nextFetchPolicy: 'cache-first' });
  const page = data?.auditLog.pageInfo;
  return (
    <Section title={t('console.tab.audit')} scroll>
      <ApiError error={error} />
      {loading && !data && <Loading />}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('common.when')}</th>
            <th scope="col">{t('console.action')}</th>
            <th scope="col">{t('console.actor')}</th>
            <th scope="col">{t('console.target')}</th>
            <th scope="col">{t('common.partner')}</th>
          </tr>
        </thead>
        <tbody>
          {data?.auditLog.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{formatDateTime(node.at)}</td>
              <td className="mono">{node.action}</td>
              <td>
                {node.actorKind}
                {node.actorKeyPrefix ? ` ${node.actorKeyPrefix}` : ''}
              </td>
              <td>
                {node.targetType} <span className="mono muted">{node.targetId.slice(0, 8)}</span>
              </td>
              <td>{node.partner?.name ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page?.hasNextPage && (
        <button type="button" className="secondary" onClick={() => void fetchMore({ variables: { after: page.endCursor } })}>
          {t('common.more')}
        </button>
      )}
    </Section>
  );
}
