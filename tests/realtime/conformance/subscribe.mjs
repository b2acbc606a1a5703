// The official graphql-ws client (with `ws`) against a live okrgraph server: connect with the
// token in connectionParams, subscribe to progressChanged(scopeId), print the first event,
// complete the subscription and keep the connection open until standard input closes.
// Prints one JSON line per step: connected, subscribed, next, completed, closed (or error).
// Usage: node subscribe.mjs ws://127.0.0.1:PORT/graphql TOKEN SCOPE_ID
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, scope] = process.argv.slice(2);
if (!url || !token || !scope) {
  console.error('usage: node subscribe.mjs URL TOKEN SCOPE_ID');
  process.exit(2);
}

const say = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const fail = (error) => {
  say({ step: 'error', error: String(error?.message ?? error?.reason ?? error) });
  process.exit(1);
};

const query = `subscription Watch($scope: ID!) { progressChanged(scopeId: $scope) {
  sequence node { id } previous { value status } current { value status }
  cause { id value } } }`;

let closed;
const gone = new Promise((resolve) => {
  closed = resolve;
});
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  // Connect now and stay connected after the subscription completes, until disposed.
  lazy: false,
  retryAttempts: 0,
  connectionParams: { Authorization: `Bearer ${token}` },
  onNonLazyError: fail,
  on: {
    connected: () => say({ step: 'connected' }),
    closed: (event) => closed({ code: event.code, reason: event.reason }),
  },
});

const unsubscribe = client.subscribe(
  { query, variables: { scope } },
  {
    next: (result) => {
      say({ step: 'next', result });
      unsubscribe(); // sends `complete` for this subscription; the socket stays open
      say({ step: 'completed' });
    },
    error: fail,
    complete: () => {},
  },
);
say({ step: 'subscribed' });

// Standard input closing is the signal to disconnect.
process.stdin.resume();
process.stdin.on('end', async () => {
  await client.dispose();
  say({ step: 'closed', ...(await gone) });
  process.exit(0);
});
