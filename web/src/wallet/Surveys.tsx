// Surveys the member can answer for points (NPS, CSAT, CES, repurchase). Needs the insight API;
// without it, says so.
import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatPoints } from '../lib/format';
import { isMissingApi, optionalDocument } from '../lib/optional-api';
import { idempotencyKey } from '../lib/session';
import { ApiError } from '../ui/ApiError';
import { NotServed } from '../ui/NotServed';
import { Loading, Section } from '../ui/Shell';

interface Survey {
  id: string;
  kind: 'NPS' | 'CSAT' | 'CES' | 'REPURCHASE';
  question: string;
  bonusPoints: number;
  active: boolean;
  partner: { id: string; name: string } | null;
}
const SURVEY_FIELDS = 'id kind question bonusPoints active partner { id name }';
// The coalition's surveys, and the partners the member is linked to (each has its own).
const SurveysQuery = optionalDocument<{ surveys: Survey[]; linkedPartners: { id: string }[] }, { memberId: string }>(
  `query WalletSurveys($memberId: ID!) { surveys { ${SURVEY_FIELDS} } linkedPartners(memberId: $memberId) { id } }`,
);
const PartnerSurveysQuery = optionalDocument<{ surveys: Survey[] }, { partnerId: string }>(
  `query WalletPartnerSurveys($partnerId: ID!) { surveys(partnerId: $partnerId) { ${SURVEY_FIELDS} } }`,
);
const Submit = optionalDocument<
  { submitSurveyResponse: { id: string; transaction: { id: string; points: number } | null } },
  { input: { surveyId: string; memberId: string; score: number; comment: string | null; idempotencyKey: string } }
>('mutation WalletSubmitSurvey($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { id transaction { id points } } }');

/** The answer scale of each kind (README "Surveys"): NPS 0–10, CSAT 1–5, CES 1–7, repurchase 0–10 (how likely to buy again). */
const SCALE: Record<Survey['kind'], number[]> = {
  NPS: Array.from({ length: 11 }, (_, i) => i),
  CSAT: [1, 2, 3, 4, 5],
  CES: [1, 2, 3, 4, 5, 6, 7],
  REPURCHASE: Array.from({ length: 11 }, (_, i) => i),
};

function SurveyForm({ survey, memberId }: { survey: Survey; memberId: string }) {
  const { t } = useTranslation();
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [submit, submitted] = useMutation(Submit);
  return (
    <li className="reward">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (score === null) return;
          void submit({
            variables: { input: { surveyId: survey.id, memberId, score, comment: comment.trim() || null, idempotencyKey: idempotencyKey('wallet-survey') } },
          }).catch(() => undefined);
        }}
      >
        <fieldset>
          <legend>
            {survey.question} <span className="muted">{survey.partner?.name ?? ''}</span>
          </legend>
          <div className="row scale">
            {SCALE[survey.kind].map((n) => (
              <label key={n} className="check">
                <input type="radio" name={`score-${survey.id}`} value={n} checked={score === n} onChange={() => setScore(n)} /> {n}
              </label>
            ))}
          </div>
          <label>
            {t('wallet.comment')}
            <input value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
        </fieldset>
        <button type="submit" disabled={score === null || !!submitted.data}>
          {t('wallet.answer', { points: formatPoints(survey.bonusPoints) })}
        </button>
      </form>
      <ApiError error={submitted.error} />
      {submitted.data && (
        <p role="status" className="ok">
          {t('wallet.thanks')}
        </p>
      )}
    </li>
  );
}

/** One linked partner's open surveys (rendered only if it has any). */
function PartnerSurveys({ partnerId, memberId }: { partnerId: string; memberId: string }) {
  const { data, error } = useQuery(PartnerSurveysQuery, { variables: { partnerId } });
  return (
    <>
      {error && (
        <li>
          <ApiError error={error} />
        </li>
      )}
      {data?.surveys
        .filter((s) => s.active)
        .map((s) => (
          <SurveyForm key={s.id} survey={s} memberId={memberId} />
        ))}
    </>
  );
}

export function Surveys({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useQuery(SurveysQuery, { variables: { memberId } });
  if (error && isMissingApi(error)) {
    return (
      <Section title={t('wallet.tab.surveys')}>
        <NotServed what={t('wallet.tab.surveys')} />
      </Section>
    );
  }
  const open = data?.surveys.filter((s) => s.active) ?? [];
  return (
    <Section title={t('wallet.tab.surveys')}>
      <ApiError error={error} />
      {loading && !data && <Loading />}
      {data && open.length === 0 && data.linkedPartners.length === 0 && <p>{t('wallet.noSurveys')}</p>}
      <ul className="grid">
        {open.map((s) => (
          <SurveyForm key={s.id} survey={s} memberId={memberId} />
        ))}
        {data?.linkedPartners.map((p) => (
          <PartnerSurveys key={p.id} partnerId={p.id} memberId={memberId} />
        ))}
      </ul>
    </Section>
  );
}
