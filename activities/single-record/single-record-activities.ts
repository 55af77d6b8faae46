import type { StateStore } from '../store/state-store.ts';
import { applyPeopleActivity, type SingleRecordOkta } from './apply-people.ts';

/** Activities that write to Okta person by person through its single-record API (the fast path). */
export function createSingleRecordActivities(deps: { store: StateStore; okta: SingleRecordOkta }) {
  return { applyPeople: applyPeopleActivity(deps) };
}

export type SingleRecordActivities = ReturnType<typeof createSingleRecordActivities>;
