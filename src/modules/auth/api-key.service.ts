// Partner API keys: shown once at creation, stored as a SHA-256 hash (the key carries 192 bits of
// randomness, so a fast hash is enough and lookups stay one indexed query), listable by prefix,
// rotatable (optionally with a grace period for the old key) and revocable. Every change is
// audited in its own transaction, and a key's end is announced through the outbox so every
// instance closes the live connections it authenticated.
import type { Pool, Tx } from '../../db/sql';
import { createHash, randomBytes } from 'node:crypto';
import { query, queryOne } from '../../db/sql';
import { publish } from '../../db/outbox';
import { withTransaction } from '../../db/transaction';
import { badInput, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { AuditAction, AuditActor, AuditTargetType, SYSTEM_ACTOR, recordAudit } from '../audit/audit-trail';

export const API_KEY_PREFIX = 'lgk_';
/** The longest a rotated key may keep working next to its replacement. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 86400;
// last_used_at is bookkeeping, not security: refresh it at most this often per key and instance.
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export interface ApiKeyOwner {
  apiKeyId: string;
  prefix: string;
  expiresAt: Date | null;
  partnerId: string;
  slug: string;
  status: 'ACTIVE' | 'SUSPENDED';
}

/** What an admin may know about a key: never the secret or its hash. */
export interface ApiKeyInfo {
  id: string;
  partnerId: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export interface RotatedApiKey {
  key: string;
  prefix: string;
  /** When the replaced key stops working: now, or the end of the grace period. */
  previousKeyExpiresAt: Date;
}

const INFO_COLUMNS = `id, partner_id AS "partnerId", prefix, created_at AS "createdAt", revoked_at AS "revokedAt",
  expires_at AS "expiresAt", last_used_at AS "lastUsedAt"`;
const ACTIVE = `revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`;
const OWNER_SELECT = `SELECT k.id AS "apiKeyId", k.prefix, k.expires_at AS "expiresAt", p.id AS "partnerId", p.slug, p.status
  FROM partner_api_key k JOIN partner p ON p.id = k.partner_id`;
const OWNER_ACTIVE = `k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`;

function newKey(): { key: string; prefix: string } {
  const prefix = randomBytes(4).toString('hex');
  return { key: `${API_KEY_PREFIX}${prefix}_${randomBytes(24).toString('base64url')}`, prefix };
}

export class ApiKeyService {
  private readonly lastNoted = new Map<string, number>();

  constructor(private readonly db: Pool) {}

  async create(partnerIdInput: string, actor: AuditActor = SYSTEM_ACTOR, outer?: Tx): Promise<{ key: string; prefix: string }> {
    const partnerId = requireId(partnerIdInput, 'partnerId');
    return withTransaction(
      this.db,
      async (m) => {
        const { key, prefix } = newKey();
        const row = await queryOne<{ id: string }>(
          m,
          `INSERT INTO partner_api_key (partner_id, prefix, key_hash)
           SELECT id, $2, $3 FROM partner WHERE id = $1 RETURNING id`,
          [partnerId, prefix, hashApiKey(key)],
        );
        if (!row) throw notFound('partnerId', 'partner');
        await recordAudit(m, {
          actor,
          action: AuditAction.API_KEY_CREATED,
          targetType: AuditTargetType.API_KEY,
          targetId: row.id,
          partnerId,
          previous: null,
          current: { prefix },
        });
        return { key, prefix };
      },
      outer,
    );
  }

  /** A partner's keys, oldest first, active or not. */
  async list(partnerIdInput: string): Promise<ApiKeyInfo[]> {
    const partnerId = requireId(partnerIdInput, 'partnerId');
    if (!(await queryOne(this.db, `SELECT 1 FROM partner WHERE id = $1`, [partnerId]))) throw notFound('partnerId', 'partner');
    return query<ApiKeyInfo>(this.db, `SELECT ${INFO_COLUMNS} FROM partner_api_key WHERE partner_id = $1 ORDER BY created_at, id`, [partnerId]);
  }

  /** Revoke by the prefix shown in the key (lgk_<prefix>_…), at once. Returns false if none was active. */
  async revoke(prefixInput: string, actor: AuditActor = SYSTEM_ACTOR): Promise<boolean> {
    const prefix = requireText(prefixInput, 'prefix');
    const revoked = await withTransaction(this.db, async (m) => {
      const old = await this.lockActive(m, prefix);
      if (!old) return false;
      const [row] = await query<{ revokedAt: Date }>(m, `UPDATE partner_api_key SET revoked_at = now() WHERE id = $1 RETURNING revoked_at AS "revokedAt"`, [
        old.id,
      ]);
      await recordAudit(m, {
        actor,
        action: AuditAction.API_KEY_REVOKED,
        targetType: AuditTargetType.API_KEY,
        targetId: old.id,
        partnerId: old.partnerId,
        previous: { prefix, revokedAt: null, expiresAt: old.expiresAt },
        current: { prefix, revokedAt: row!.revokedAt },
      });
      await announceEnd(m, old, row!.revokedAt);
      return true;
    });
    if (revoked) this.ended();
    return revoked;
  }

  /**
   * A new key for the same partner, returned once. The old key stops working now (graceSeconds 0)
   * or at the end of the grace period, so clients can switch over without an outage.
   */
  async rotate(prefixInput: string, graceSeconds: number, actor: AuditActor = SYSTEM_ACTOR): Promise<RotatedApiKey> {
    const prefix = requireText(prefixInput, 'prefix');
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
      throw badInput('graceSeconds', `must be a whole number from 0 to ${MAX_ROTATION_GRACE_SECONDS}`);
    }
    const rotated = await withTransaction(this.db, async (m) => {
      const old = await this.lockActive(m, prefix);
      if (!old) throw notFound('prefix', 'active API key');
      const next = newKey();
      const [created] = await query<{ id: string }>(m, `INSERT INTO partner_api_key (partner_id, prefix, key_hash) VALUES ($1, $2, $3) RETURNING id`, [
        old.partnerId,
        next.prefix,
        hashApiKey(next.key),
      ]);
      // A key already in a shorter grace period keeps the shorter one.
      const [ended] = await query<{ end: Date }>(
        m,
        graceSeconds === 0
          ? `UPDATE partner_api_key SET revoked_at = now() WHERE id = $1 RETURNING revoked_at AS "end"`
          : `UPDATE partner_api_key SET expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $2::int))
              WHERE id = $1 RETURNING expires_at AS "end"`,
        graceSeconds === 0 ? [old.id] : [old.id, graceSeconds],
      );
      await recordAudit(m, {
        actor,
        action: AuditAction.API_KEY_ROTATED,
        targetType: AuditTargetType.API_KEY,
        targetId: old.id,
        partnerId: old.partnerId,
        previous: { prefix, expiresAt: old.expiresAt },
        current: { prefix, expiresAt: ended!.end, replacedBy: { id: created!.id, prefix: next.prefix } },
      });
      await announceEnd(m, old, ended!.end);
      return { key: next.key, prefix: next.prefix, previousKeyExpiresAt: ended!.end };
    });
    this.ended();
    return rotated;
  }

  /** A key's end has committed (withTransaction has woken the relays): let no later request join a lookup that may predate it. */
  private ended(): void {
    this.lookups.clear();
  }

  /** Lookups in flight, by key hash: a till's burst of requests with one key shares one query. */
  private readonly lookups = new Map<string, Promise<ApiKeyOwner | null>>();

  /**
   * The key's owner, read from the database on every request (a revocation takes effect on the
   * next one); requests arriving while a lookup for the same key is in flight share its answer.
   */
  findOwner(key: string): Promise<ApiKeyOwner | null> {
    const hash = hashApiKey(key);
    const hashKey = hash.toString('base64');
    const inFlight = this.lookups.get(hashKey);
    if (inFlight) return inFlight;
    const lookup = this.lookup(hash).finally(() => {
      // A revocation may have cleared it and a newer lookup taken its place: leave that one be.
      if (this.lookups.get(hashKey) === lookup) this.lookups.delete(hashKey);
    });
    this.lookups.set(hashKey, lookup);
    return lookup;
  }

  /**
   * The owner of a key already authenticated (a live socket's), if the key is still active: read
   * afresh, never shared with a lookup in flight, so a revocation that has returned is seen.
   */
  async activeOwner(apiKeyId: string): Promise<ApiKeyOwner | null> {
    return (await queryOne<ApiKeyOwner>(this.db, `${OWNER_SELECT} WHERE k.id = $1 AND ${OWNER_ACTIVE}`, [apiKeyId])) ?? null;
  }

  private async lookup(hash: Buffer): Promise<ApiKeyOwner | null> {
    return (await queryOne<ApiKeyOwner>(this.db, `${OWNER_SELECT} WHERE k.key_hash = $1 AND ${OWNER_ACTIVE}`, [hash])) ?? null;
  }

  /** Remembers that a key was used; throttled, outside any request transaction, never awaited by the request. */
  noteUse(apiKeyId: string): void {
    const now = Date.now();
    if ((this.lastNoted.get(apiKeyId) ?? 0) > now - LAST_USED_RESOLUTION_MS) return;
    this.lastNoted.set(apiKeyId, now);
    if (this.lastNoted.size > 10_000) this.lastNoted.clear();
    query(this.db, `UPDATE partner_api_key SET last_used_at = now() WHERE id = $1`, [apiKeyId]).catch(() => this.lastNoted.delete(apiKeyId));
  }

  private async lockActive(m: Tx, prefix: string) {
    return queryOne<{ id: string; partnerId: string; expiresAt: Date | null }>(
      m,
      `SELECT id, partner_id AS "partnerId", expires_at AS "expiresAt" FROM partner_api_key WHERE prefix = $1 AND ${ACTIVE} FOR UPDATE`,
      [prefix],
    );
  }
}

/** Every instance's live sockets learn of it through the outbox relay (topic API_KEY_REVOKED). */
async function announceEnd(m: Tx, key: { id: string; partnerId: string }, endsAt: Date): Promise<void> {
  await publish(m, { topic: 'API_KEY_REVOKED', partnerId: key.partnerId, payload: { apiKeyId: key.id, endsAt: endsAt.toISOString() } });
}
