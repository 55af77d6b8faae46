/**
 * Chaos: pushes plans with the real worker process while workers are SIGKILLed, the Temporal dev server and the Okta
 * emulator restart, and Okta answers with 5xx, 429 bursts, dropped connections and latency spikes; and runs small
 * syncs through the single-record fast path while the worker is SIGKILLed mid-write (fast-path). After each trial
 * every invariant is checked. Exits non-zero when any check fails.
 *
 *   node chaos/run.ts [--kill-trials 3] [--kills 2] [--fault-trials 2] [--restart-trials 1] [--records 20000]
 *                     [--scenario worker-kill,temporal-restart,okta-faults,emulator-restart,scale-out,fast-path]
 *                     [--requests-per-session 46]   (lay plans out with headroom for re-sent uploads)
 *                     [--scale-out-trials 1] [--scale-out-sources 4] [--scale-out-workers 3] [--scale-out-kills 3]
 *                     [--scale-out-per-window 75] [--scale-out-postgres-port 55433]
 *                     [--fast-path-trials 1] [--fast-path-people 300] [--fast-path-deltas 4]
 *                     [--temporal-address host:port]   (a Temporal server already running, e.g. on PostgreSQL:
 *                                                       scripts/start-temporal-postgres.sh; temporal-restart is skipped)
 */
import { parseArgs } from 'node:util';
import { printTable, saveResult, seconds } from '../bench/support/report.ts';
import { emulatorRestart } from './scenarios/emulator-restart.ts';
import { fastPathKill } from './scenarios/fast-path.ts';
import { oktaFaults } from './scenarios/okta-faults.ts';
import { temporalRestart } from './scenarios/temporal-restart.ts';
import { scaleOut } from './scenarios/scale-out.ts';
import { workerKill } from './scenarios/worker-kill.ts';
import { ScalePostgres } from './scale-postgres.ts';
import { ChaosStack } from './stack.ts';
import { setRequestsPerSession, type TrialOutcome } from './trial.ts';

const { values } = parseArgs({
  options: {
    'kill-trials': { type: 'string', default: '3' },
    kills: { type: 'string', default: '2' },
    'fault-trials': { type: 'string', default: '2' },
    'restart-trials': { type: 'string', default: '1' },
    records: { type: 'string', default: '20000' },
    scenario: {
      type: 'string',
      default: 'worker-kill,temporal-restart,okta-faults,emulator-restart,scale-out,fast-path',
    },
    'requests-per-session': { type: 'string' },
    'scale-out-trials': { type: 'string', default: '1' },
    'scale-out-sources': { type: 'string', default: '4' },
    'scale-out-workers': { type: 'string', default: '3' },
    'scale-out-kills': { type: 'string', default: '3' },
    'scale-out-per-window': { type: 'string', default: '75' },
    'scale-out-postgres-port': { type: 'string', default: '55433' },
    'fast-path-trials': { type: 'string', default: '1' },
    'fast-path-people': { type: 'string', default: '300' },
    'fast-path-deltas': { type: 'string', default: '4' },
    'temporal-address': { type: 'string' },
  },
});
const records = Number(values.records);
const scenarios = new Set(values.scenario.split(','));
const restartTrials = Number(values['restart-trials']);
if (values['requests-per-session']) setRequestsPerSession(Number(values['requests-per-session']));

const stack = new ChaosStack();
const outcomes: TrialOutcome[] = [];
const started = performance.now();
const record = (outcome: TrialOutcome) => {
  outcomes.push(outcome);
  const failed = outcome.checks.filter((c) => !c.ok);
  console.error(
    `${outcome.scenario} #${outcome.trial}: ${outcome.ok ? 'ok' : 'FAILED'} in ${seconds(outcome.wallMs)} s — ${outcome.injected}` +
      failed.map((c) => `\n  ✗ ${c.name}: ${c.detail}`).join(''),
  );
};
try {
  await stack.start(
    {
      durations: {
        fiveMinuteRuleMs: 2_000,
        importProcessingMs: 500,
        importProcessingPerRecordMs: 0.05,
        rateLimitWindowMs: 2_000,
      },
      rateLimit: { perWindow: 600, concurrency: 75 },
    },
    values['temporal-address'],
  );
  let trial = 0;
  if (scenarios.has('worker-kill')) {
    for (let i = 0; i < Number(values['kill-trials']); i++)
      record(await workerKill(stack, ++trial, records, Number(values.kills)));
  }
  if (scenarios.has('temporal-restart') && !values['temporal-address']) {
    for (let i = 0; i < restartTrials; i++) record(await temporalRestart(stack, ++trial, records));
  }
  if (scenarios.has('okta-faults')) {
    for (let i = 0; i < Number(values['fault-trials']); i++) record(await oktaFaults(stack, ++trial, records));
  }
  if (scenarios.has('emulator-restart')) {
    // Smaller: a persistent emulator writes its whole state file after every change.
    for (let i = 0; i < restartTrials; i++) record(await emulatorRestart(stack, ++trial, Math.min(records, 12_000)));
  }
  if (scenarios.has('scale-out')) {
    const postgres = new ScalePostgres({ port: Number(values['scale-out-postgres-port']) });
    for (let i = 0; i < Number(values['scale-out-trials']); i++) {
      record(
        await scaleOut(stack, ++trial, {
          records,
          sources: Number(values['scale-out-sources']),
          workers: Number(values['scale-out-workers']),
          kills: Number(values['scale-out-kills']),
          perWindow: Number(values['scale-out-per-window']),
          postgres,
        }),
      );
    }
  }
  if (scenarios.has('fast-path')) {
    const options = { people: Number(values['fast-path-people']), deltas: Number(values['fast-path-deltas']) };
    for (let i = 0; i < Number(values['fast-path-trials']); i++) record(await fastPathKill(stack, ++trial, options));
  }
} finally {
  await stack.stop();
}

printTable(
  'Chaos trials',
  outcomes.map((o) => ({
    scenario: o.scenario,
    trial: o.trial,
    records: o.records,
    s: seconds(o.wallMs),
    'checks passed': `${o.checks.filter((c) => c.ok).length}/${o.checks.length}`,
    're-sent uploads': o.legitimateDuplicates,
    injected: o.injected,
  })),
);
printTable(
  'Invariants',
  outcomes.flatMap((o) =>
    o.checks.map((c) => ({ trial: o.trial, check: c.name, ok: c.ok ? 'yes' : 'NO', detail: c.detail })),
  ),
);
console.log(
  `\n${outcomes.length} trials in ${seconds(performance.now() - started)} s; JSON: ${await saveResult('chaos', { records, outcomes })}`,
);
if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
