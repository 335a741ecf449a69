// Deliveries live in the database, not in a gateway's memory: a receiver that is down while the
// gateway process is SIGKILLed gets its events from the restarted process.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CreateWebhookEndpointDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { startChildGateway } from './support/child-gateway';
import { earn, newMember, newPartner } from './support/factories';
import { startReceiver } from './support/webhook-receiver';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
  // Only the child processes deliver in this file.
  await gw.services.webhookDispatcher.stop();
});
afterAll(() => gw?.stop());

const CHILD_ENV = { WEBHOOK_RETRY_SCHEDULE: Array(40).fill('0.25').join(','), WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_TIMEOUT_MS: '1000' };

async function attemptsOf(endpointId: string): Promise<number[]> {
  return (await gw.sql<{ attempts: number }>(`SELECT attempts FROM webhook_delivery WHERE endpoint_id = $1 ORDER BY id`, [endpointId])).map((r) => r.attempts);
}

it('a receiver that is down while the gateway is SIGKILLed gets its events after the restart', async () => {
  // Find a free port, then leave it closed: the receiver is down.
  const probe = await startReceiver();
  const port = probe.port;
  await probe.close();

  const partner = await newPartner(gw);
  const member = await newMember(gw, partner);
  const { createWebhookEndpoint } = await gw.ok(
    CreateWebhookEndpointDocument,
    { input: { url: `http://127.0.0.1:${port}/hooks`, events: ['POINTS_EARNED'] } },
    partner.apiKey,
  );
  const endpointId = createWebhookEndpoint.endpoint.id;

  const first = await startChildGateway(gw.dbUrl, gw.adminToken, CHILD_ENV);
  await earn(gw, partner, member, '7.00');
  await earn(gw, partner, member, '8.00');
  // The child tries the first one (connection refused) and schedules retries; the second waits behind it.
  const deadline = Date.now() + 20_000;
  while ((await attemptsOf(endpointId))[0]! < 2) {
    if (Date.now() > deadline) throw new Error('the child gateway never attempted the delivery');
    await new Promise((r) => setTimeout(r, 50));
  }
  await first.kill('SIGKILL');

  const receiver = await startReceiver(port);
  receiver.secret = createWebhookEndpoint.secret;
  try {
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received).toHaveLength(0); // nobody is delivering now
    const second = await startChildGateway(gw.dbUrl, gw.adminToken, CHILD_ENV);
    try {
      // A lease left by the killed process (an attempt cut short) runs out within timeout + 5 s.
      await receiver.waitFor((r) => r.length >= 2, 20_000);
      expect(receiver.received.map((r) => r.payload?.data.transaction.points)).toEqual([7, 8]);
      const rows = await gw.sql<{ status: string; attempts: number }>(`SELECT status, attempts FROM webhook_delivery WHERE endpoint_id = $1 ORDER BY id`, [
        endpointId,
      ]);
      expect(rows[0]!.attempts).toBeGreaterThanOrEqual(3);
    } finally {
      await second.stop();
    }
  } finally {
    await receiver.close();
  }
}, 90_000);
