import type { NewOutboxEvent } from '../../db/outbox';

/** A committed change, as written to outbox_event in the same transaction as the change itself. */
export interface OutboxEvent {
  id: number;
  /** API_KEY_REVOKED: payload { apiKeyId, endsAt }, for every instance to close that key's live connections. */
  topic: NewOutboxEvent['topic'];
  memberId: string | null;
  partnerId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export const OUTBOX_COLUMNS = `id, topic, member_id AS "memberId", partner_id AS "partnerId", payload, created_at AS "createdAt"`;

export const memberChannel = (memberId: string) => `member:${memberId}`;
export const rateChannel = (partnerId: string | null) => `rate:${partnerId ?? '*'}`;
/** Internal: the live socket server listens here for keys that end. */
export const API_KEY_CHANNEL = 'api-key-revoked';
