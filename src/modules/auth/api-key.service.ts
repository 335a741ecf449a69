// Partner API keys: shown once at creation, stored as a SHA-256 hash (the key carries 192 bits of
// randomness, so a fast hash is enough and lookups stay one indexed query), revocable.
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { query, queryOne } from '../../db/sql';
import { notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';

export const API_KEY_PREFIX = 'lgk_';

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export interface ApiKeyOwner {
  apiKeyId: string;
  partnerId: string;
  slug: string;
  status: 'ACTIVE' | 'SUSPENDED';
}

export class ApiKeyService {
  constructor(private readonly db: DataSource) {}

  async create(partnerIdInput: string, manager: EntityManager = this.db.manager): Promise<{ key: string; prefix: string }> {
    const partnerId = requireId(partnerIdInput, 'partnerId');
    const prefix = randomBytes(4).toString('hex');
    const key = `${API_KEY_PREFIX}${prefix}_${randomBytes(24).toString('base64url')}`;
    const rows = await query(
      manager,
      `INSERT INTO partner_api_key (partner_id, prefix, key_hash)
       SELECT id, $2, $3 FROM partner WHERE id = $1 RETURNING id`,
      [partnerId, prefix, hashApiKey(key)],
    );
    if (rows.length === 0) throw notFound('partnerId', 'partner');
    return { key, prefix };
  }

  /** Revoke by the prefix shown in the key (lgk_<prefix>_…). Returns false if none was active. */
  async revoke(prefix: string): Promise<boolean> {
    const rows = await query(
      this.db,
      `UPDATE partner_api_key SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL RETURNING id`,
      [requireText(prefix, 'prefix')],
    );
    return rows.length > 0;
  }

  async findOwner(key: string): Promise<ApiKeyOwner | null> {
    return (
      (await queryOne<ApiKeyOwner>(
        this.db,
        `SELECT k.id AS "apiKeyId", p.id AS "partnerId", p.slug, p.status
         FROM partner_api_key k JOIN partner p ON p.id = k.partner_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
        [hashApiKey(key)],
      )) ?? null
    );
  }
}
