// Compiled with `tsc --strict` against the types graphql-codegen generates from README's
// recipe: a real client (graphql-request) infers each result and its variables from the
// kit's typed documents.
import { GraphQLClient } from 'graphql-request';

import {
  CheckInCreateDocument,
  DashboardDocument,
  type DashboardQuery,
  OrganizationsDocument,
  ProgressChangedDocument,
  type ProgressChangedSubscription,
} from './graphql/generated.js';

const client = new GraphQLClient('http://127.0.0.1:8000/graphql');

export async function checkInFirst(value: number): Promise<string[]> {
  const { organizations } = await client.request(OrganizationsDocument, { first: 1 });
  const organization = organizations.nodes[0];
  const cycleId = organization?.currentCycle?.id;
  if (organization === undefined || cycleId === undefined) return [];
  const dashboard: DashboardQuery = await client.request(DashboardDocument, {
    organizationId: organization.id,
    cycleId,
  });
  if (dashboard.cycle?.__typename !== 'Cycle') return [];
  const keyResults = dashboard.cycle.objectives.nodes.flatMap((objective) => objective.keyResults);
  const blocked = keyResults.flatMap((keyResult) => keyResult.progress.blockedBy.map((b) => b.title));
  const first = keyResults[0];
  if (first === undefined) return blocked;
  const { checkInCreate } = await client.request(CheckInCreateDocument, {
    input: { keyResultId: first.id, value },
  });
  return [...blocked, ...checkInCreate.userErrors.map((error) => `${error.code}: ${error.message}`)];
}

export function status(event: ProgressChangedSubscription): string {
  return `${event.progressChanged.sequence}: ${event.progressChanged.current.status}`;
}

export const subscription = ProgressChangedDocument;
