// urql's core client with its defaults (its Accept header lists JSON, SSE and multipart) and a
// graphql-ws subscription exchange: the kit's Organizations and Dashboard queries, a
// ProgressChanged subscription on one of the dashboard's key results, and a CheckInCreate that
// causes its event.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { authorization, endpoint, first, operation, report, socket, untilActive } from './common.mjs';

const ws = createClient({
  url: socket,
  webSocketImpl: WebSocket, // Node 20 has no global WebSocket
  connectionParams: { Authorization: authorization },
});
const client = new Client({
  url: endpoint,
  fetchOptions: { headers: { Authorization: authorization } },
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query || '' };
        return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
      },
    }),
  ],
});

const answered = (result) => {
  if (result.error) throw result.error;
  return result.data;
};

await report(async () => {
  const organizations = answered(await client.query(operation('Organizations'), {}).toPromise());
  const [organization] = organizations.organizations.nodes;
  const dashboard = answered(
    await client
      .query(operation('Dashboard'), {
        organizationId: organization.id,
        cycleId: organization.currentCycle.id,
      })
      .toPromise(),
  );
  const keyResult = dashboard.cycle.objectives.nodes.flatMap((o) => o.keyResults)[0];
  const value = keyResult.currentValue + 1;

  const event = first(
    (observer) => {
      const { unsubscribe } = client
        .subscription(operation('ProgressChanged'), { scopeId: keyResult.id })
        .subscribe((result) => (result.error ? observer.error(result.error) : observer.next(result)));
      return { unsubscribe };
    },
    (result) => result.data?.progressChanged?.cause?.keyResult?.id === keyResult.id,
  );
  await untilActive(1);
  const created = answered(
    await client
      .mutation(operation('CheckInCreate'), {
        input: { keyResultId: keyResult.id, value, idempotencyKey: crypto.randomUUID() },
      })
      .toPromise(),
  );
  const received = await event;
  await ws.dispose();
  return {
    keyResult: keyResult.id,
    value,
    departments: dashboard.organization.departments.length,
    userErrors: created.checkInCreate.userErrors,
    created: created.checkInCreate.keyResult.currentValue,
    event: received.data.progressChanged,
  };
});
