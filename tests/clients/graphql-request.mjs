// graphql-request with its defaults: the kit's Organizations and Dashboard queries and a
// CheckInCreate mutation over HTTP POST, the token in a header.
import { GraphQLClient } from 'graphql-request';

import { authorization, endpoint, operation, report } from './common.mjs';

const client = new GraphQLClient(endpoint, { headers: { Authorization: authorization } });

await report(async () => {
  const organizations = await client.request(operation('Organizations'));
  const [organization] = organizations.organizations.nodes;
  const dashboard = await client.request(operation('Dashboard'), {
    organizationId: organization.id,
    cycleId: organization.currentCycle.id,
  });
  const keyResult = dashboard.cycle.objectives.nodes.flatMap((o) => o.keyResults)[0];
  const value = keyResult.currentValue + 1;
  const created = await client.request(operation('CheckInCreate'), {
    input: { keyResultId: keyResult.id, value, idempotencyKey: crypto.randomUUID() },
  });
  return {
    keyResult: keyResult.id,
    value,
    userErrors: created.checkInCreate.userErrors,
    created: created.checkInCreate.keyResult.currentValue,
  };
});
