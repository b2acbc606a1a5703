// Runs graphql-http's server audit against the URL given and prints one JSON line per rule:
// {"id", "name", "status", "reason"}, name beginning with MUST, SHOULD or MAY.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
const rules = results.map(({ id, name, status, reason }) => ({
  id,
  name,
  status,
  reason: reason ?? null,
}));
process.stdout.write(JSON.stringify(rules) + '\n');
