// Apollo Client (3.14 or 4.x: the argument after the metrics URL) with an HttpLink only, its
// default setup: subscriptions then go over HTTP as multipart (`multipart/mixed;
// subscriptionSpec=1.0`). Subscribes to the kit's ProgressChanged on a key result of the
// Dashboard, checks it in, and reports the event.
import { parse } from 'graphql';

import { authorization, endpoint, first, operation, report, untilActive } from './common.mjs';

const version = process.argv[5];
const pkg = { 3: '@apollo/client-3', 4: '@apollo/client-4' }[version];
if (!pkg) {
  console.error('the last argument is the Apollo Client major version: 3 or 4');
  process.exit(2);
}
// Apollo 3 has no exports map: Node's ES modules name its entry points' files.
const entry = (path) => (version === '3' ? `${pkg}/${path}/index.js` : `${pkg}/${path}`);
const { ApolloClient, HttpLink, InMemoryCache } = await import(entry('core'));
const { loadDevMessages, loadErrorMessages } = await import(entry('dev'));
loadDevMessages();
loadErrorMessages();

const client = new ApolloClient({
  link: new HttpLink({ uri: endpoint, headers: { Authorization: authorization } }),
  cache: new InMemoryCache(),
});
const document = (name) => parse(operation(name));

await report(async () => {
  const organizations = await client.query({ query: document('Organizations') });
  const [organization] = organizations.data.organizations.nodes;
  const dashboard = await client.query({
    query: document('Dashboard'),
    variables: { organizationId: organization.id, cycleId: organization.currentCycle.id },
  });
  const keyResult = dashboard.data.cycle.objectives.nodes.flatMap((o) => o.keyResults)[0];
  const value = keyResult.currentValue + 1;

  const event = first(
    (observer) =>
      client
        .subscribe({ query: document('ProgressChanged'), variables: { scopeId: keyResult.id } })
        .subscribe(observer),
    (result) => result.data?.progressChanged?.cause?.keyResult?.id === keyResult.id,
  );
  await untilActive(1);
  const mutation = await client.mutate({
    mutation: document('CheckInCreate'),
    variables: { input: { keyResultId: keyResult.id, value, idempotencyKey: crypto.randomUUID() } },
  });
  const received = await event;
  await untilActive(0); // unsubscribing ended the HTTP request, and the server let go
  client.stop();
  return {
    keyResult: keyResult.id,
    value,
    userErrors: mutation.data.checkInCreate.userErrors,
    event: received.data.progressChanged,
  };
});
