// What went wrong, as the API said it: a heading for the error's code in the user's language, and
// the API's own message (it names the field). Never a blank screen.
import { CombinedGraphQLErrors, ServerError } from '@apollo/client';
import { useTranslation } from 'react-i18next';

export function describeError(error: unknown): { code: string; message: string }[] {
  if (CombinedGraphQLErrors.is(error)) {
    return error.errors.map((e) => ({ code: String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'), message: e.message }));
  }
  if (ServerError.is(error)) {
    // A 4xx/5xx answer still carries GraphQL errors in its body (401 UNAUTHENTICATED, 429 …).
    try {
      const body = JSON.parse(error.bodyText) as { errors?: { message: string; extensions?: { code?: string } }[] };
      if (body.errors?.length) return body.errors.map((e) => ({ code: e.extensions?.code ?? 'INTERNAL_SERVER_ERROR', message: e.message }));
    } catch {
      // not JSON: fall through
    }
    return [{ code: `HTTP_${error.statusCode}`, message: error.message }];
  }
  if (error instanceof Error) return [{ code: 'NETWORK', message: error.message }];
  return [{ code: 'NETWORK', message: String(error) }];
}

export function ApiError({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <div role="alert" className="error">
      {describeError(error).map((e, i) => (
        <p key={i}>
          <strong>{t(`errors.${e.code}`, { defaultValue: t('errors.other') })}</strong> <span className="code">{e.code}</span>
          <br />
          {e.message}
        </p>
      ))}
    </div>
  );
}
