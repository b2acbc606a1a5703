// graphql-sse's client with its defaults (distinct connections mode: each subscription its own
// POST accepting text/event-stream): the kit's ProgressChanged on a key result, and the event a
// check-in causes. Then the same client in single connection mode, which the server refuses:
// reports what the client is told.
import { createClient } from 'graphql-sse';

import { authorization, endpoint, first, operation, report, untilActive } from './common.mjs';

const headers = { Authorization: authorization };

async function graphql(name, variables) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: operation(name), variables, operationName: name }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

await report(async () => {
  const organizations = await graphql('Organizations', {});
  const [organization] = organizations.organizations.nodes;
  const dashboard = await graphql('Dashboard', {
    organizationId: organization.id,
    cycleId: organization.currentCycle.id,
  });
  const keyResult = dashboard.cycle.objectives.nodes.flatMap((o) => o.keyResults)[0];
  const value = keyResult.currentValue + 1;

  const client = createClient({ url: endpoint, headers });
  const event = first((observer) => {
    const unsubscribe = client.subscribe(
      { query: operation('ProgressChanged'), variables: { scopeId: keyResult.id } },
      { next: (v) => observer.next(v), error: (e) => observer.error(e), complete: () => {} },
    );
    return { unsubscribe };
  });
  await untilActive(1);
  await graphql('CheckInCreate', {
    input: { keyResultId: keyResult.id, value, idempotencyKey: crypto.randomUUID() },
  });
  const received = await event;
  client.dispose();
  await untilActive(0);

  const single = createClient({ url: endpoint, headers, singleConnection: true, retryAttempts: 0 });
  const refused = await new Promise((resolve) => {
    single.subscribe(
      { query: operation('ProgressChanged'), variables: { scopeId: keyResult.id } },
      {
        next: () => resolve({ unexpected: 'an event' }),
        // The client aborts the response before its body can be read: status and message only.
        error: (error) => resolve({ message: error.message, status: error.response?.status }),
        complete: () => resolve({ unexpected: 'complete' }),
      },
    );
  });
  single.dispose();
  return { keyResult: keyResult.id, value, event: received.data.progressChanged, refused };
});
