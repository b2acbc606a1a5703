// What the client scripts share: their arguments, the kit's operations read from
// schema/operations, the server's subscription gauge, a fetch that counts requests by operation
// name, and the one JSON line each script prints at the end (or the error it died of).
import { readFileSync } from 'node:fs';
import { format } from 'node:util';

const [base, token, metrics] = process.argv.slice(2);
if (!base || !token || !metrics) {
  console.error('usage: node SCRIPT.mjs http://127.0.0.1:PORT TOKEN METRICS_URL');
  process.exit(2);
}

export const endpoint = `${base}/graphql`;
export const socket = endpoint.replace(/^http/, 'ws');
export { token };
export const authorization = `Bearer ${token}`;

const operations = new URL('../../schema/operations/', import.meta.url);

/** The text of schema/operations/NAME.graphql, as the kit ships it. */
export const operation = (name) => readFileSync(new URL(`${name}.graphql`, operations), 'utf8');

/** What the client printed on the console while it ran (warnings, errors). */
export const console_ = [];
for (const level of ['warn', 'error']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    console_.push(`${level}: ${format(...args)}`);
    original(...args);
  };
}

/** The global fetch, counting each GraphQL request by its operation name. */
export const requests = {};
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  let name = 'unknown';
  try {
    const url = new URL(typeof input === 'string' ? input : input.url);
    name = url.searchParams.get('operationName') ?? JSON.parse(init?.body ?? '{}').operationName ?? name;
  } catch {
    // a body that is not JSON (none of these clients send one) counts as unknown
  }
  requests[name] = (requests[name] ?? 0) + 1;
  return realFetch(input, init);
};

/** Resolves once the server holds exactly `count` subscriptions (its metrics gauge). */
export async function untilActive(count, within = 10_000) {
  const deadline = Date.now() + within;
  for (;;) {
    const text = await (await realFetch(metrics)).text();
    const found = /^okrgraph_subscriptions_active ([0-9.]+)$/m.exec(text);
    if (found && Number(found[1]) === count) return;
    if (Date.now() > deadline) throw new Error(`the server did not hold ${count} subscription(s)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The first value `subscribe(observer)` delivers that `accept` takes, within `within` ms. */
export function first(subscribe, accept = () => true, within = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nothing arrived in time')), within);
    const subscription = subscribe({
      next: (value) => {
        if (!accept(value)) return;
        clearTimeout(timer);
        resolve(value);
        queueMicrotask(() => subscription.unsubscribe());
      },
      error: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
  });
}

export const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Print the script's findings as its last line and exit; an error exits 1 with its stack. */
export async function report(run) {
  try {
    const found = await run();
    process.stdout.write(`${JSON.stringify({ ...found, requests, console: console_ })}\n`);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`${error?.stack ?? JSON.stringify(error)}\n`);
    process.exit(1);
  }
}
