import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { recordRefusalOf } from '../../contracts/okta-failure-types.ts';
import type { ReadBackResult, RefusedByOkta } from '../../contracts/push-messages.ts';
import { forEachConcurrently } from '../okta/concurrently.ts';
import type { IdentitySourceClient } from '../okta/identity-source-client.ts';
import { clearingReplacement, driftedAttributes, onlyClearingIgnored } from '../okta/profile-drift.ts';
import type { PlannedUpsert, StateStore } from '../store/state-store.ts';
import { keepAlive } from './keep-alive.ts';
import type { PlanLayouts } from './plan-layout.ts';
import { chooseReadBacks, type ReadBack, type SampleLimits } from './read-back-sample.ts';

export interface ReadBackInput extends SampleLimits {
  identitySourceId: string;
  planId: string;
  sessionIndex: number;
  /** The plan's requests the COMPLETED session took. */
  requestIndexes: number[];
  /** Reads in flight at once (each paced by the client's pacer). */
  concurrency: number;
}

/**
 * Reads back people of a COMPLETED import with GET /users/{externalId} and compares each with what was sent, since
 * Okta reports no per-record results: an upsert Okta does not have, a value not as sent, or a deactivated person Okta
 * still answers for is not applied. Where the only difference is clearing Okta ignored (a null in a bulk upsert,
 * which Okta does not document), the person is repaired at once with a single-record replace, the documented way to
 * clear. Returns who stays refused (ids and attribute names only), for the confirmation to leave out.
 */
export function readBackImportActivity(deps: { store: StateStore; okta: IdentitySourceClient; layouts: PlanLayouts }) {
  return async function readBackImport(input: ReadBackInput): Promise<ReadBackResult> {
    const { upserts, deactivations } = await sessionPeople(deps, input);
    const { chosen, unchecked, moreClearing } = chooseReadBacks(upserts, deactivations, input);
    // What earlier attempts found (a 429 or a 5xx fails an attempt midway): their people are not read again.
    const progress = (activityInfo().heartbeatDetails as ReadBackProgress | undefined) ?? {
      read: [],
      refused: [],
      repaired: 0,
    };
    const read = new Set(progress.read);
    const readAll = (readBacks: ReadBack[]) =>
      forEachConcurrently(
        readBacks.filter((r) => !read.has(idOf(r))),
        input.concurrency,
        async (readBack) => {
          const outcome = await check(deps.okta, input.identitySourceId, readBack);
          if (outcome === 'repaired') progress.repaired++;
          else if (outcome) progress.refused.push({ ...outcome, sessionIndex: input.sessionIndex });
          progress.read.push(idOf(readBack));
        },
      );
    let more: ReadBack[] = [];
    try {
      await keepAlive(
        async () => {
          await readAll(chosen);
          // Okta ignored a clearing: every clearing of the session needs the repair, however many the maximum left out.
          more = progress.repaired > 0 ? moreClearing : [];
          await readAll(more);
        },
        () => progress,
      );
    } catch (error) {
      heartbeat(progress);
      throw error;
    }
    const leftSince = await leaversSincePlan(deps.store, input, progress.refused);
    const refused = progress.refused
      .filter((r) => !leftSince.has(r.externalId))
      .sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
    return {
      checked: chosen.length + more.length,
      unchecked: unchecked - more.length,
      repaired: progress.repaired,
      refused,
    };
  };
}

/**
 * Of the people read back as not applied, those whose latest HR event is a leaver that came after the plan was made:
 * the coordinator deactivates them beside the push (fast-path.ts), also right after this import, so Okta's answer
 * shows that later write, not a refusal of the import.
 */
async function leaversSincePlan(
  store: StateStore,
  input: ReadBackInput,
  notApplied: RefusedByOkta[],
): Promise<Set<string>> {
  if (notApplied.length === 0) return new Set();
  const plan = await store.getPlan(input.planId);
  if (!plan) return new Set();
  const latest = new Map<string, { type: string; receivedAt: string }>();
  for (const event of await store.pendingHrEvents(input.identitySourceId, plan.createdAt)) {
    latest.set(event.externalId, event);
  }
  return new Set(
    notApplied
      .map((r) => r.externalId)
      .filter((id) => {
        const event = latest.get(id);
        return event?.type === 'leaver' && event.receivedAt >= plan.createdAt;
      }),
  );
}

/** What the attempts of one read-back found so far, in its heartbeat details. */
interface ReadBackProgress {
  /** externalIds read (and repaired where needed). */
  read: string[];
  refused: RefusedByOkta[];
  repaired: number;
}

function idOf(readBack: ReadBack): string {
  return readBack.kind === 'upsert' ? readBack.item.externalId : readBack.externalId;
}

/** The upserts and deactivations of the session's requests, in plan order. */
async function sessionPeople(
  { store, layouts }: { store: StateStore; layouts: PlanLayouts },
  input: ReadBackInput,
): Promise<{ upserts: PlannedUpsert[]; deactivations: string[] }> {
  const layout = await layouts.of(input.planId);
  const upserts: PlannedUpsert[] = [];
  const deactivations: string[] = [];
  for (const index of [...input.requestIndexes].sort((a, b) => a - b)) {
    const request = layout[index];
    if (!request) throw ApplicationFailure.nonRetryable(`Plan ${input.planId} has no request ${index}`);
    if (request.operation === 'USER_UPSERT') {
      upserts.push(...(await store.readItems(input.planId, 'USER_UPSERT', request.firstItem, request.itemCount)));
    } else if (request.operation === 'USER_DEACTIVATE') {
      deactivations.push(
        ...(await store.readItems(input.planId, 'USER_DEACTIVATE', request.firstItem, request.itemCount)),
      );
    }
  }
  return { upserts, deactivations };
}

/** One person's read-back: undefined when Okta holds what was sent, 'repaired', or why it is refused. */
async function check(
  okta: IdentitySourceClient,
  identitySourceId: string,
  readBack: ReadBack,
): Promise<Omit<RefusedByOkta, 'sessionIndex'> | 'repaired' | undefined> {
  if (readBack.kind === 'deactivation') {
    const user = await okta.getUser(identitySourceId, readBack.externalId);
    return user ? { externalId: readBack.externalId, problem: 'still-active' } : undefined;
  }
  const { externalId, profile } = readBack.item;
  const user = await okta.getUser(identitySourceId, externalId);
  if (!user) return { externalId, problem: 'missing' };
  const drifted = driftedAttributes(profile, user.profile);
  if (drifted.length === 0) return undefined;
  if (!onlyClearingIgnored(profile, drifted)) return { externalId, problem: 'differs', attributes: drifted };
  return await repairClearing(okta, identitySourceId, readBack.item, user.profile);
}

/** Clears what Okta ignored with PUT /users/{externalId}, and checks what Okta answers. */
async function repairClearing(
  okta: IdentitySourceClient,
  identitySourceId: string,
  { externalId, profile }: PlannedUpsert,
  held: Record<string, string | null>,
): Promise<Omit<RefusedByOkta, 'sessionIndex'> | 'repaired'> {
  try {
    const replaced = await okta.replaceUser(identitySourceId, {
      externalId,
      profile: clearingReplacement(profile, held),
    });
    if (!replaced) return { externalId, problem: 'missing' };
    const drifted = driftedAttributes(profile, replaced.profile);
    return drifted.length === 0 ? 'repaired' : { externalId, problem: 'differs', attributes: drifted };
  } catch (error) {
    const refusal = recordRefusalOf(error);
    if (!refusal) throw error;
    return { externalId, problem: 'refused', reasons: refusal.reasons };
  }
}
