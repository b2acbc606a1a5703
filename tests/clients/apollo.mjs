// Apollo Client (3.14 or 4.x: the argument after the metrics URL) as an app sets it up: HttpLink
// for queries and mutations, GraphQLWsLink (graphql-ws) for subscriptions, a default
// InMemoryCache, the kit's operations. Watches Dashboard, subscribes to ProgressChanged on one of
// its key results, checks that key result in with CheckInCreate, and reports the event, the key
// result as the watched Dashboard shows it afterwards, the requests made per operation and
// anything Apollo printed. With `policies` last, the cache takes README's typePolicies and
// KeyResultDetail (which selects a progress's explanation) is watched too.
// Apollo 4 prints its warnings only in its development build: run it with
// `node --conditions=development`, as a bundler's dev server does.
import { readFileSync } from 'node:fs';

import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import {
  authorization,
  endpoint,
  first,
  operation,
  pause,
  report,
  socket,
  untilActive,
} from './common.mjs';

const version = process.argv[5];
const pkg = { 3: '@apollo/client-3', 4: '@apollo/client-4' }[version];
if (!pkg) {
  console.error('the last argument is the Apollo Client major version: 3 or 4');
  process.exit(2);
}
// Apollo 3 has no exports map: Node's ES modules name its entry points' files.
const entry = (path) => (version === '3' ? `${pkg}/${path}/index.js` : `${pkg}/${path}`);
const core = await import(entry('core'));
const { GraphQLWsLink } = await import(entry('link/subscriptions'));
const { getMainDefinition } = await import(entry('utilities'));
const { loadDevMessages, loadErrorMessages } = await import(entry('dev'));
loadDevMessages();
loadErrorMessages();

const { ApolloClient, HttpLink, InMemoryCache } = core;
const withPolicies = process.argv[6] === 'policies';

/** The options of README's `new InMemoryCache({ typePolicies })` example, as written there. */
function readmeCacheOptions() {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const found = /```ts\nconst cache = new InMemoryCache\((\{[\s\S]*?\})\);\n```/.exec(readme);
  if (!found) throw new Error('README.md has no ```ts block `const cache = new InMemoryCache({…});`');
  return new Function(`return (${found[1]});`)();
}
const split = core.split ?? core.ApolloLink.split;

const documents = Object.fromEntries(
  ['Organizations', 'Dashboard', 'KeyResultDetail', 'CheckInCreate', 'ProgressChanged'].map((name) => [
    name,
    parse(operation(name)),
  ]),
);

const ws = createClient({
  url: socket,
  webSocketImpl: WebSocket, // Node 20 has no global WebSocket
  connectionParams: { Authorization: authorization },
});
const link = split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  },
  new GraphQLWsLink(ws),
  new HttpLink({ uri: endpoint, headers: { Authorization: authorization } }),
);
const cache = withPolicies ? new InMemoryCache(readmeCacheOptions()) : new InMemoryCache();
const client = new ApolloClient({ link, cache });

const hasData = (result) => result.data && Object.keys(result.data).length > 0;

/** A watched query: resolves `loaded` with its first data; `latest` follows the cache. */
function watch(query, variables) {
  const watched = { latest: undefined };
  watched.loaded = new Promise((resolve, reject) => {
    client.watchQuery({ query, variables }).subscribe({
      next: (result) => {
        if (!hasData(result)) return;
        watched.latest = result.data;
        resolve();
      },
      error: reject,
    });
  });
  return watched;
}

await report(async () => {
  const organizations = await client.query({ query: documents.Organizations });
  const [organization] = organizations.data.organizations.nodes;
  const variables = { organizationId: organization.id, cycleId: organization.currentCycle.id };

  const dashboard = watch(documents.Dashboard, variables);
  await dashboard.loaded;
  const keyResult = dashboard.latest.cycle.objectives.nodes.flatMap((o) => o.keyResults)[0];
  const value = keyResult.currentValue + 1;
  if (withPolicies) {
    const { startsOn } = dashboard.latest.cycle;
    const detail = watch(documents.KeyResultDetail, {
      id: keyResult.id,
      from: `${startsOn}T00:00:00Z`,
      to: new Date().toISOString(),
    });
    await detail.loaded;
  }

  const event = first(
    (observer) => client.subscribe({ query: documents.ProgressChanged, variables: { scopeId: keyResult.id } }).subscribe(observer),
    (result) => result.data?.progressChanged?.cause?.keyResult?.id === keyResult.id,
  );
  await untilActive(1);
  const mutation = await client.mutate({
    mutation: documents.CheckInCreate,
    variables: { input: { keyResultId: keyResult.id, value, idempotencyKey: crypto.randomUUID() } },
  });
  const received = await event;
  await pause(500); // time for a refetch, if the cache wanted one
  const after = dashboard.latest.cycle.objectives.nodes
    .flatMap((o) => o.keyResults)
    .find((k) => k.id === keyResult.id);
  await ws.dispose();
  client.stop();
  return {
    keyResult: keyResult.id,
    value,
    userErrors: mutation.data.checkInCreate.userErrors,
    event: received.data.progressChanged,
    dashboardShows: { currentValue: after.currentValue, blockedBy: after.progress.blockedBy },
  };
});
