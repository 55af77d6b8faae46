import type { Client } from '@temporalio/client';
import type { LayoutLimits } from '../okta/bulk-requests.ts';
import type { IdentitySourceClient } from '../okta/identity-source-client.ts';
import type { StateStore } from '../store/state-store.ts';

export interface PushActivityDeps {
  store: StateStore;
  okta: IdentitySourceClient;
  /** To tell whether the run that owns a session is still alive. */
  temporal: Client;
  /** Okta's limits unless told stricter (e.g. fewer requests per session, to keep headroom). */
  layoutLimits?: LayoutLimits;
}

/** Our own status for a session cancelled because its uploads changed nothing in Okta. */
export const UNCHANGED = 'CLOSED_UNCHANGED';
