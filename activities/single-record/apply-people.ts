import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isOktaFailure, OKTA_FAILURE, recordRefusalOf } from '../../contracts/okta-failure-types.ts';
import type { ApplyPeopleResult, RefusedRecord } from '../../contracts/single-record-messages.ts';
import type { IdentitySourceClient } from '../okta/identity-source-client.ts';
import { keepAlive } from '../push/keep-alive.ts';
import {
  OPEN_SESSION_STATUSES,
  type ConfirmedUser,
  type PlanHeader,
  type PlannedUpsert,
  type SessionRecord,
  type StateStore,
  type UpsertProfile,
} from '../store/state-store.ts';

/** What the fast path needs of Okta: its sessions (to never race an import) and the single-record writes. */
export type SingleRecordOkta = Pick<
  IdentitySourceClient,
  'listSessions' | 'getSession' | 'replaceUser' | 'createUser' | 'deleteUser'
>;

/**
 * Applies a small plan person by person through Okta's single-record API instead of an import session: leavers
 * first (DELETE deactivates), then upserts (PUT replaces the profile, so a cleared attribute is cleared the way Okta
 * documents; POST creates a person Okta does not have). Each person is confirmed in the store right after Okta's 2xx,
 * so a retried attempt skips whoever this plan already applied and re-sends at most the one in flight.
 *
 * It hands the plan back to the session path, before writing anything, when a single-record write could race or
 * miss what only a session does: an import session of the identity source is active (a stale one, or one still
 * processing), the plan changes groups, or a person comes back (reactivation goes through an import, as Okta
 * documents it for upserts). A record Okta refuses (400 for its profile) is reported by id and reason, left
 * unconfirmed (so the next plan sends it again) and does not stop the others.
 */
export function applyPeopleActivity({ store, okta }: { store: StateStore; okta: SingleRecordOkta }) {
  return async function applyPeople(input: {
    planId: string;
    /** A plan of leavers run beside a push of ours: its sessions are active, and no session of ours carries a DELETE. */
    alongsidePush?: boolean;
  }): Promise<ApplyPeopleResult> {
    const plan = await store.getPlan(input.planId);
    if (!plan) throw ApplicationFailure.nonRetryable(`No plan ${input.planId} in the state store`, 'PlanNotFound');
    const source = plan.identitySourceId;
    const { upserts, deactivations, confirmed } = await readPlan(store, plan);
    const handBack = await keepAlive(() =>
      reasonForSession({ store, okta }, plan, upserts, confirmed, input.alongsidePush === true),
    );
    if (handBack) return { outcome: 'needs-session', reason: handBack, applied: 0, refused: [] };

    const writer = new PersonWriter(store, source);
    try {
      for (const externalId of deactivations) {
        if (deactivatedByThisPlan(confirmed.get(externalId), plan)) {
          writer.applied++;
          continue;
        }
        await writer.write(externalId, { status: 'DEACTIVATED' }, async () => {
          await okta.deleteUser(source, externalId);
        });
      }
      for (const upsert of upserts) {
        if (upsertedByThisPlan(confirmed.get(upsert.externalId), upsert, plan)) {
          writer.applied++;
          continue;
        }
        const profile = valuesOf(upsert.profile);
        const known = confirmed.has(upsert.externalId);
        const confirm = { status: 'ACTIVE', fingerprint: upsert.fingerprint, profile: upsert.profile } as const;
        await writer.write(upsert.externalId, confirm, () =>
          upsertOne(okta, source, upsert.externalId, profile, known),
        );
      }
    } catch (error) {
      // A session opened since the check (by another tool: ours run one at a time): the session path waits for it.
      if (!isOktaFailure(error, OKTA_FAILURE.blockedBySession)) throw error;
      return {
        outcome: 'needs-session',
        reason: 'Okta refused a write while an import session is open',
        ...writer.done(),
      };
    }
    return { outcome: 'applied', ...writer.done() };
  };
}

/** Writes one person at a time, confirming each on Okta's 2xx and noting each refusal. */
class PersonWriter {
  applied = 0;
  readonly refused: RefusedRecord[] = [];
  private readonly store: StateStore;
  private readonly source: string;

  constructor(store: StateStore, source: string) {
    this.store = store;
    this.source = source;
  }

  done(): { applied: number; refused: RefusedRecord[] } {
    return { applied: this.applied, refused: this.refused };
  }

  async write(
    externalId: string,
    confirm: { status: 'DEACTIVATED' } | { status: 'ACTIVE'; fingerprint: string; profile: UpsertProfile },
    send: () => Promise<unknown>,
  ): Promise<void> {
    const progress = () => ({ applied: this.applied, refused: this.refused.length });
    heartbeat(progress());
    try {
      // Heartbeating through each call to Okta: a slow answer (or a pacer's wait) must not outlast the heartbeat
      // timeout, or Temporal starts another attempt that writes beside this one.
      await keepAlive(send, progress);
    } catch (error) {
      const refusal = recordRefusalOf(error);
      if (!refusal) throw error;
      this.refused.push({ externalId, reason: refusal.reasons.join('; ') || 'refused by Okta' });
      return;
    }
    await this.store.confirmPeople(this.source, [{ externalId, ...confirm }], new Date().toISOString());
    this.applied++;
  }
}

async function readPlan(store: StateStore, plan: PlanHeader) {
  const { counts } = plan;
  const upserts = await store.readItems(plan.planId, 'USER_UPSERT', 0, counts.upserts);
  const deactivations = await store.readItems(plan.planId, 'USER_DEACTIVATE', 0, counts.deactivations);
  const people = [...deactivations, ...upserts.map((u) => u.externalId)];
  const confirmed = await store.getConfirmedUsers(plan.identitySourceId, people);
  return { upserts, deactivations, confirmed };
}

/** Why this plan must go through an import session instead, if it must. */
async function reasonForSession(
  { store, okta }: { store: StateStore; okta: SingleRecordOkta },
  plan: PlanHeader,
  upserts: PlannedUpsert[],
  confirmed: Map<string, ConfirmedUser>,
  alongsidePush: boolean,
): Promise<string | undefined> {
  const { counts } = plan;
  if (counts.groupUpserts + counts.groupDeletes + counts.membershipUpserts + counts.membershipDeletes > 0) {
    return 'the plan changes groups or memberships';
  }
  const returning = upserts.filter((u) => confirmed.get(u.externalId)?.status === 'DEACTIVATED').length;
  if (returning > 0) return `${returning} deactivated ${returning === 1 ? 'person comes' : 'people come'} back`;
  if (alongsidePush) return upserts.length > 0 ? 'only leavers are deactivated beside a push' : undefined;
  // Only a session of ours can carry an upsert that would undo a leaver's DELETE, and the store records each before
  // anything is uploaded into it: with none open there, a plan of leavers costs Okta one request a leaver. A plan
  // that upserts asks Okta, since another tool's import could overwrite a person it replaces.
  const ours = await store.openSessions(plan.identitySourceId);
  if (upserts.length === 0 && ours.length === 0) return undefined;
  const listed = await okta.listSessions(plan.identitySourceId);
  const [active] = [
    ...listed,
    ...(await refreshUnlistedSessions({ store, okta }, plan.identitySourceId, ours, listed)),
  ];
  if (active) return `import session ${active.id} of the identity source is ${active.status}`;
  return undefined;
}

/**
 * Asks Okta for each session of ours (`ours`: the store last saw them open) that Okta's list leaves out (a push that
 * was terminated, or died between Okta's answer and the store), records what became of it, so that the next plan of
 * leavers needs no list, and returns those still open.
 */
async function refreshUnlistedSessions(
  { store, okta }: { store: StateStore; okta: SingleRecordOkta },
  identitySourceId: string,
  ours: SessionRecord[],
  listed: { id: string }[],
): Promise<{ id: string; status: string }[]> {
  const listedIds = new Set(listed.map((s) => s.id));
  const stillOpen: { id: string; status: string }[] = [];
  for (const { oktaSessionId: id } of ours) {
    if (listedIds.has(id)) continue;
    const { status } = await okta.getSession(identitySourceId, id).catch((error: unknown) => {
      if (isOktaFailure(error, OKTA_FAILURE.sessionNotFound)) return { status: 'NOT_FOUND' };
      throw error;
    });
    await store.recordSessionStatus(id, status);
    if (OPEN_SESSION_STATUSES.includes(status)) stillOpen.push({ id, status });
  }
  return stillOpen;
}

/** Confirmed by this plan already (an earlier attempt of this activity applied it before it died). */
function deactivatedByThisPlan(user: ConfirmedUser | undefined, plan: PlanHeader): boolean {
  return user !== undefined && user.status === 'DEACTIVATED' && user.confirmedAt >= plan.createdAt;
}

function upsertedByThisPlan(user: ConfirmedUser | undefined, upsert: PlannedUpsert, plan: PlanHeader): boolean {
  return (
    user !== undefined &&
    user.status === 'ACTIVE' &&
    user.fingerprint === upsert.fingerprint &&
    user.confirmedAt >= plan.createdAt
  );
}

/** The profile PUT and POST send: the values; a cleared attribute (null) is left out, which clears it. */
function valuesOf(profile: UpsertProfile): Record<string, string> {
  return Object.fromEntries(Object.entries(profile).filter(([, value]) => value !== null)) as Record<string, string>;
}

/**
 * Replaces a person Okta has (PUT), creates one it has not (POST). Okta does not document what POST does for an
 * externalId it has: a person the store does not know is created, and replaced when Okta refuses the create because
 * the person exists (the create of an earlier attempt that landed before its answer was lost, or a record the store
 * lost); a known person Okta no longer has is created.
 */
async function upsertOne(
  okta: SingleRecordOkta,
  source: string,
  externalId: string,
  profile: Record<string, string>,
  known: boolean,
): Promise<void> {
  const user = { externalId, profile };
  if (known && (await okta.replaceUser(source, user)) !== undefined) return;
  try {
    await okta.createUser(source, user);
  } catch (error) {
    const exists = recordRefusalOf(error)?.reasons.some((reason) => /already exists?/i.test(reason));
    if (!exists || (await okta.replaceUser(source, user)) === undefined) throw error;
  }
}
