// Erased members leave no address behind, only a keyed hash of it: HMAC-SHA256 with
// ERASURE_HASH_SECRET (or a secret generated once and kept in the database) of the lower-cased
// email. Enrolling that address again is refused, so an erased person is not re-enrolled by
// accident (a partner's stale CRM export, say); the hash cannot be reversed without the secret,
// and even with it only confirms an address one already knows.
import { createHmac, randomBytes } from 'node:crypto';
import type { Db, Pool, Tx } from '../../db/sql';
import { query, queryOne } from '../../db/sql';

export async function loadErasureSecret(db: Pool, configured: string | null): Promise<string> {
  if (configured) return configured;
  await query(db, `INSERT INTO app_secret (name, value) VALUES ('erasure_hash_secret', $1) ON CONFLICT (name) DO NOTHING`, [
    randomBytes(48).toString('base64url'),
  ]);
  return (await queryOne<{ value: string }>(db, `SELECT value FROM app_secret WHERE name = 'erasure_hash_secret'`))!.value;
}

export class ErasedEmails {
  constructor(private readonly secret: string) {}

  hash(email: string): string {
    return createHmac('sha256', this.secret).update(email.trim().toLowerCase()).digest('base64url');
  }

  async wasErased(db: Db, email: string): Promise<boolean> {
    return (await this.among(db, [email])).size > 0;
  }

  /** The lower-cased addresses among `emails` that belonged to erased members, in one statement. */
  async among(db: Db, emails: readonly string[]): Promise<Set<string>> {
    const byHash = new Map(emails.map((e) => [this.hash(e), e.trim().toLowerCase()]));
    const found = await query<{ h: string }>(db, `SELECT email_hmac AS h FROM erased_member_email WHERE email_hmac = ANY($1::text[])`, [[...byHash.keys()]]);
    return new Set(found.map((f) => byHash.get(f.h)!));
  }

  async remember(m: Tx, email: string): Promise<void> {
    await query(m, `INSERT INTO erased_member_email (email_hmac) VALUES ($1) ON CONFLICT DO NOTHING`, [this.hash(email)]);
  }
}
