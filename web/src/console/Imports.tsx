// Imports: a members or earns file (CSV or NDJSON) uploaded over plain HTTP (POST /imports/…,
// answered 202 {"importId"}), then followed over graphql-ws (importProgress) as a progress bar
// until it finishes, with the rows that failed. Needs the bulk API; without it, says so.
import { useApolloClient, useQuery } from '@apollo/client/react';
import { useContext, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime, formatPoints } from '../lib/format';
import { CredentialContext, isMissingApi, optionalDocument } from '../lib/optional-api';
import { idempotencyKey } from '../lib/session';
import { ApiError } from '../ui/ApiError';
import { NotServed } from '../ui/NotServed';
import { Section } from '../ui/Shell';
import { PartnerPicker } from './PartnerPicker';

interface Job {
  id: string;
  kind: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  rowsTotal: number | null;
  rowsDone: number;
  rowsFailed: number;
  createdAt: string;
  finishedAt: string | null;
  errors?: { totalCount: number; edges: { node: { row: number; code: string; field: string | null; message: string } }[] };
}

const JOB_FIELDS = 'id kind status rowsTotal rowsDone rowsFailed createdAt finishedAt';
const ImportJobs = optionalDocument<{ importJobs: { edges: { node: Job }[] } }, Record<string, never>>(
  `query ConsoleImportJobs { importJobs(first: 10) { edges { node { ${JOB_FIELDS} } } } }`,
);
const ImportJobQuery = optionalDocument<{ importJob: Job | null }, { id: string }>(
  `query ConsoleImportJob($id: ID!) { importJob(id: $id) { ${JOB_FIELDS} errors(first: 50) { totalCount edges { node { row code field message } } } } }`,
);
const ImportProgress = optionalDocument<{ importProgress: Job }, { id: string }>(
  `subscription ConsoleImportProgress($id: ID!) { importProgress(id: $id) { ${JOB_FIELDS} } }`,
);

/** A refused upload as the API said it: `{"error":{"code","message","field"}}` (else the status and body). */
function uploadRefusal(status: number, body: string): string {
  try {
    const { error } = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (error?.message) return `${error.code ?? `HTTP ${status}`}: ${error.message}`;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${status}: ${body.slice(0, 300)}`;
}

const done = (job: Job | null) => job?.status === 'SUCCEEDED' || job?.status === 'FAILED';

export function Imports() {
  const { t } = useTranslation();
  const client = useApolloClient();
  const credential = useContext(CredentialContext);
  const jobs = useQuery(ImportJobs);
  const [kind, setKind] = useState<'members' | 'earns'>('earns');
  const [partnerId, setPartnerId] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [jobError, setJobError] = useState<unknown>(null);

  // Follow the job: live over graphql-ws; at the end (or if the subscription fails), read it once
  // more for its row errors.
  useEffect(() => {
    if (!jobId) return;
    let stopped = false;
    const final = () =>
      void client
        .query({ query: ImportJobQuery, variables: { id: jobId }, fetchPolicy: 'network-only' })
        .then((r) => {
          if (stopped) return;
          setJob(r.data?.importJob ?? null);
          // The finished job joins the recent imports below.
          void jobs.refetch();
        })
        .catch((e: unknown) => !stopped && setJobError(e));
    const sub = client.subscribe({ query: ImportProgress, variables: { id: jobId } }).subscribe({
      next: (r) => {
        const j = r.data?.importProgress;
        if (!j || stopped) return;
        setJob(j);
        if (done(j)) final();
      },
      error: final,
      complete: final,
    });
    return () => {
      stopped = true;
      sub.unsubscribe();
    };
    // Not on jobs (a new object each render): that would resubscribe each time.
  }, [client, jobId]);

  if (jobs.error && isMissingApi(jobs.error)) {
    return (
      <Section title={t('console.tab.imports')}>
        <NotServed what={t('console.tab.imports')} />
      </Section>
    );
  }

  const upload = async () => {
    if (!file) return;
    setUploadError(null);
    setJob(null);
    const query = partnerId ? `?partnerId=${encodeURIComponent(partnerId)}` : '';
    const type = /\.ndjson$|\.jsonl$/i.test(file.name) ? 'application/x-ndjson' : 'text/csv';
    const res = await fetch(`/imports/${kind}${query}`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Bearer ${credential}`, 'idempotency-key': idempotencyKey('console-import') },
      body: file,
    }).catch((e: unknown) => ({ ok: false, status: 0, text: async () => String(e) }) as const);
    const text = await res.text();
    if (!res.ok) {
      setUploadError(res.status === 404 ? t('common.notServed', { what: t('console.tab.imports') }) : uploadRefusal(res.status, text));
      return;
    }
    setJobId((JSON.parse(text) as { importId: string }).importId);
  };

  const total = job?.rowsTotal ?? null;
  const pct = job ? (done(job) ? 100 : total ? Math.floor(((job.rowsDone + job.rowsFailed) / total) * 100) : 0) : 0;
  return (
    <>
      <Section title={t('console.tab.imports')}>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void upload();
          }}
        >
          <label>
            {t('console.importKind')}
            <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'members' | 'earns')}>
              <option value="earns">{t('console.importEarns')}</option>
              <option value="members">{t('console.importMembers')}</option>
            </select>
          </label>
          <PartnerPicker value={partnerId} onChange={setPartnerId} />
          <label>
            {t('console.file')}
            <input type="file" name="file" accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </label>
          <button type="submit" disabled={!file}>
            {t('console.upload')}
          </button>
        </form>
        {uploadError && (
          <p role="alert" className="error">
            {uploadError}
          </p>
        )}
        <ApiError error={jobError} />
        {job && (
          <>
            <p role="status">
              {t(`importStatus.${job.status}`)} — {formatPoints(job.rowsDone)} / {total === null ? '?' : formatPoints(total)} (
              {t('console.rowsFailed', { n: job.rowsFailed })})
            </p>
            <div className="progress" role="progressbar" aria-label={t('console.importProgress')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
              <div style={{ width: `${pct}%` }} />
            </div>
          </>
        )}
        {job?.errors && job.errors.edges.length > 0 && (
          <table>
            <caption>{t('console.rowErrors', { n: job.errors.totalCount })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('console.row')}</th>
                <th scope="col">{t('console.errorCode')}</th>
                <th scope="col">{t('console.field')}</th>
                <th scope="col">{t('console.message')}</th>
              </tr>
            </thead>
            <tbody>
              {job.errors.edges.map(({ node }) => (
                <tr key={node.row}>
                  <td className="num">{node.row}</td>
                  <td className="mono">{node.code}</td>
                  <td className="mono">{node.field ?? '—'}</td>
                  <td>{node.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('console.recentImports')} scroll>
        <ApiError error={jobs.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.when')}</th>
              <th scope="col">{t('common.type')}</th>
              <th scope="col">{t('common.status')}</th>
              <th scope="col">{t('console.rows')}</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data?.importJobs.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>{formatDateTime(node.createdAt)}</td>
                <td>{node.kind}</td>
                <td>{t(`importStatus.${node.status}`)}</td>
                <td className="num">
                  {formatPoints(node.rowsDone)} / {node.rowsTotal ?? '?'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
