import { expect, it } from 'vitest';
import { renderIdle, renderStatus, renderSummary } from '../../client/sync-text.ts';
import type { SyncStatus, SyncSummary } from '../../contracts/sync-messages.ts';

// What a terminal would act on if printed raw: clear the screen (ESC and C1 CSI), set the window title, reorder text.
const ESCAPES = 'E1\u001b[2J\u009b2J\u001b]0;owned\u0007\u202e';
const SHOWN = String.raw`E1\x1B[2J\x9B2J\x1B]0;owned\x07\u202E`;

it('escapes control and bidirectional characters in what the CLI prints of a sync', () => {
  const summary: SyncSummary = {
    requestId: 'r1',
    identitySourceId: '0oa1',
    mode: 'delta',
    dryRun: false,
    reasons: ['manual'],
    outcome: 'unreadable-export',
    guardrails: [{ guardrail: 'suspicious-key-change', measured: 1, threshold: 0, message: ESCAPES }],
    error: ESCAPES,
    startedAt: '2026-12-04T03:00:00.000Z',
    finishedAt: '2026-12-04T03:00:01.000Z',
  };
  const status: SyncStatus = {
    identitySourceId: '0oa1',
    phase: 'awaiting-approval',
    current: { requestId: 'r1', mode: 'delta', dryRun: false, reasons: ['manual'], guardrails: summary.guardrails! },
    queued: [],
    pendingHrEvents: 0,
    recent: [summary],
  };
  for (const printed of [renderSummary(summary), renderStatus(status), renderIdle(ESCAPES, [])]) {
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(printed).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/u);
    expect(printed).toContain(SHOWN);
  }
});
