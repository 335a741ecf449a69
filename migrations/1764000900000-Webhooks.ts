import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: endpoints (a partner's, or the coalition's with partner_id NULL) and one delivery per
 * event and endpoint, written by the outbox in the same statement as the event (db/outbox.ts).
 * The delivery keeps its own copy of the body in one column (payload), so it outlives the outbox's
 * retention and a member's erasure can scrub it in one place.
 */
export class Webhooks1764000900000 implements MigrationInterface {
  name = 'Webhooks1764000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoint (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        partner_id         uuid REFERENCES partner(id),
        url                text NOT NULL,
        events             text[] NOT NULL CHECK (cardinality(events) > 0),
        -- The signing key itself (HMAC needs it); the whsec_ form is shown once, at creation.
        secret             bytea NOT NULL,
        active             boolean NOT NULL DEFAULT true,
        -- Since when every attempt has failed (NULL after a success): deactivation reads it.
        failing_since      timestamptz,
        deactivated_at     timestamptz,
        deactivated_reason text,
        created_at         timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_endpoint_partner ON webhook_endpoint (partner_id, created_at);
      -- The fan-out joins every new outbox event with the active endpoints: keep that side small.
      CREATE INDEX webhook_endpoint_active ON webhook_endpoint (id) WHERE active;

      CREATE TABLE webhook_delivery (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        endpoint_id      uuid NOT NULL REFERENCES webhook_endpoint(id),
        -- outbox_event.id (no foreign key: the outbox is purged after its retention).
        event_id         bigint NOT NULL,
        event_type       text NOT NULL,
        member_id        uuid,
        -- The outbox payload at first; the body as sent from the first attempt on.
        payload          jsonb NOT NULL,
        body_ready       boolean NOT NULL DEFAULT false,
        status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        attempts         int NOT NULL DEFAULT 0,
        -- Attempts since the schedule (re)started: creation, or redeliverWebhook.
        round_attempts   int NOT NULL DEFAULT 0,
        round_started_at timestamptz,
        last_status_code int,
        last_error       text,
        last_attempt_at  timestamptz,
        next_attempt_at  timestamptz DEFAULT now(),
        created_at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at, id) WHERE status = 'PENDING';
      -- In order per member per endpoint: the earliest pending delivery of a lane goes first.
      CREATE INDEX webhook_delivery_lane ON webhook_delivery (endpoint_id, member_id, id) WHERE status = 'PENDING';
      CREATE INDEX webhook_delivery_endpoint ON webhook_delivery (endpoint_id, id DESC);
      CREATE INDEX webhook_delivery_member ON webhook_delivery (member_id) WHERE member_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery; DROP TABLE webhook_endpoint;`);
  }
}
