// The coalition as an issuer: coalition-funded points (coalition-wide rules, paid memberships)
// need an issuance account, lots and a settlement line like any partner's. It is a partner row
// flagged is_coalition, created once at boot, left out of the partner list and the catalog.
import type { Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';

export interface CoalitionIssuer {
  partnerId: string;
  issuanceAccountId: string;
}

export async function ensureCoalitionIssuer(db: Pool, currencyCode: string, pointValue: string): Promise<CoalitionIssuer> {
  return withTransaction(db, async (m) => {
    await query(
      m,
      `INSERT INTO partner (slug, name, currency_code, is_coalition) VALUES ('coalition', 'The coalition (program-funded points)', $1, true)
       ON CONFLICT DO NOTHING`,
      [currencyCode],
    );
    const partner = (await queryOne<{ id: string }>(m, `SELECT id FROM partner WHERE is_coalition`))!;
    await query(
      m,
      `INSERT INTO account (kind, partner_id) SELECT 'PARTNER_ISSUANCE', $1
        WHERE NOT EXISTS (SELECT 1 FROM account WHERE kind = 'PARTNER_ISSUANCE' AND partner_id = $1)`,
      [partner.id],
    );
    // Its burn rate values coalition-funded points in settlement; an admin may version it later.
    await query(
      m,
      `INSERT INTO exchange_rate (partner_id, version, earn_rate, burn_rate, effective_from)
       SELECT $1, 1, 1, $2, '-infinity' WHERE NOT EXISTS (SELECT 1 FROM exchange_rate WHERE partner_id = $1)`,
      [partner.id, pointValue],
    );
    const account = (await queryOne<{ id: string }>(m, `SELECT id FROM account WHERE kind = 'PARTNER_ISSUANCE' AND partner_id = $1`, [partner.id]))!;
    return { partnerId: partner.id, issuanceAccountId: account.id };
  });
}
