import { mappedFields } from '../../mapping/fields.ts';
import type { StateStore } from '../../store/state-store.ts';
import { evaluateGuardrails } from '../guardrails.ts';
import type { LookalikePair } from '../lookalikes.ts';
import type { PlanningRun } from './planning-run.ts';

/** Pairs of login names planned that look alike (read before the people index is dropped). */
export function findLookalikes(run: PlanningRun): LookalikePair[] {
  const lookalikes = run.loginNames.pairs((id) => {
    const person = run.people.get(id);
    return person !== undefined && person.valid && person.planned;
  });
  run.loginNames.clear();
  return lookalikes;
}

/**
 * Stage 5, guardrails: the plan against the limits of the sync config and against the last applied plan's
 * export (its fields). A tripped guardrail holds the plan for approval.
 */
export async function checkGuardrails(
  run: PlanningRun,
  store: StateStore,
  lookalikes: LookalikePair[],
): Promise<string[]> {
  const { counts, config } = run;
  const previous = (await store.findLatestPlan(run.input.identitySourceId, ['applied']))?.source;
  const fieldNames = [...run.fields.names].sort();
  run.report.guardrails = evaluateGuardrails(
    {
      recordsRead: counts.recordsRead,
      validActive: counts.validActive,
      invalid: counts.invalid,
      unidentified: run.unidentified,
      deactivations: run.newDeactivations,
      confirmedActive: run.confirmedActive,
      ...(previous ? { previous } : {}),
      fields: fieldNames,
      mappedFields: mappedFields(config.mapping),
      suspiciousKeys: inScope(run, run.keyChanges.pairs(), (p) => [p.leaving, p.arriving]),
      lookalikes: inScope(run, lookalikes, (p) => [p.existing, p.arriving]),
    },
    config.guardrails,
  );
  return fieldNames;
}

/** For a plan of named people, the pairs that involve one of them; every pair otherwise. */
function inScope<T>(run: PlanningRun, pairs: T[], idsOf: (pair: T) => string[]): T[] {
  const { scope } = run;
  return scope ? pairs.filter((pair) => idsOf(pair).some((id) => scope.has(id))) : pairs;
}
