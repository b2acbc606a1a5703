// The official graphql-ws client through a token's expiry, as README's Live updates section
// tells an app to handle it: subscribe with the kit's ProgressChanged using a token about to
// expire (the argument after the metrics URL), receive a check-in's event, get closed with 4401
// when the token expires, then (with the fresh token of the script's arguments) subscribe again
// with `afterSequence` set to the last sequence received, and receive first the event of the
// check-in made while disconnected.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { authorization, endpoint, first, operation, report, socket, untilActive } from './common.mjs';

const expiring = process.argv[5];
let current = expiring;
const closes = [];
const client = createClient({
  url: socket,
  webSocketImpl: WebSocket, // Node 20 has no global WebSocket
  // Read at every connect, so a reconnect signs in with the token the app holds now.
  connectionParams: () => ({ Authorization: `Bearer ${current}` }),
  on: { closed: (event) => closes.push(event.code) },
});

async function graphql(name, variables) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { Authorization: authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ query: operation(name), variables, operationName: name }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const checkIn = async (keyResult, value) => {
  const input = { keyResultId: keyResult, value, idempotencyKey: crypto.randomUUID() };
  const made = await graphql('CheckInCreate', { input });
  if (made.checkInCreate.userErrors.length) throw new Error(JSON.stringify(made));
  return made.checkInCreate.checkIn.id;
};

await report(async () => {
  const organizations = await graphql('Organizations', {});
  const [organization] = organizations.organizations.nodes;
  const dashboard = await graphql('Dashboard', {
    organizationId: organization.id,
    cycleId: organization.currentCycle.id,
  });
  const keyResult = dashboard.cycle.objectives.nodes.flatMap((o) => o.keyResults)[0];
  const watch = (afterSequence) => (observer) => ({
    unsubscribe: client.subscribe(
      { query: operation('ProgressChanged'), variables: { scopeId: keyResult.id, afterSequence } },
      { next: (v) => observer.next(v), error: (e) => observer.error(e), complete: () => {} },
    ),
  });

  // Live with the expiring token: one event, then the close when the token expires.
  const received = [];
  const ended = new Promise((resolve) => {
    const subscription = watch(null)({
      next: (result) => received.push(result.data.progressChanged),
      error: (error) => {
        resolve(error.code);
        subscription.unsubscribe();
      },
    });
  });
  await untilActive(1);
  const live = await checkIn(keyResult.id, keyResult.currentValue + 1);
  const closedWith = await ended;
  const closedBeforeResuming = [...closes];
  const last = received.at(-1).sequence;
  const beforeExpiry = received.map((event) => event.cause.id);

  // Disconnected: a check-in happens. Then a new token, and resume after the last sequence.
  const missed = await checkIn(keyResult.id, keyResult.currentValue + 2);
  current = process.argv[3];
  const replayed = await first(watch(last));
  await client.dispose();
  return {
    live,
    missed,
    beforeExpiry,
    closedWith,
    closes: closedBeforeResuming,
    last,
    replayed: replayed.data.progressChanged,
  };
});
