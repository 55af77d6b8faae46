import type { GuardrailsConfig } from '../mapping/config.ts';
import type { SourceSnapshot } from '../store/state-store.ts';
import type { LookalikePair, SuspiciousKeyPair } from './lookalikes.ts';

export type GuardrailName =
  | 'empty-export'
  | 'shrunken-export'
  | 'header-drift'
  | 'too-many-deactivations'
  | 'too-many-deactivations-relative'
  | 'too-many-invalid'
  | 'unidentified-records'
  | 'suspicious-key-change'
  | 'lookalike-account';

/** A guardrail that tripped, with the numbers a person needs to decide (no personal data). */
export interface TrippedGuardrail {
  guardrail: GuardrailName;
  measured: number;
  threshold: number;
  message: string;
}

export interface GuardrailInput {
  recordsRead: number;
  /** Records that map to a person who should be in Okta (valid active ones). */
  validActive: number;
  invalid: number;
  /** Invalid records without an externalId: nobody can tell whom they protect from deactivation. */
  unidentified: number;
  deactivations: number;
  confirmedActive: number;
  /** The export of the last applied plan, if any. */
  previous?: SourceSnapshot;
  /** Fields this export carried. */
  fields: string[];
  /** Fields the mapping reads. */
  mappedFields: string[];
  /** People who leave while a near-identical externalId arrives. */
  suspiciousKeys?: SuspiciousKeyPair[];
  /** New accounts whose userName or email looks like another person's. */
  lookalikes?: LookalikePair[];
}

/** How many pairs a guardrail's message names; `measured` counts them all. */
const PAIRS_NAMED = 10;

/**
 * Checks a change set and the export it came from before anything is applied. Pure: the same input gives the same
 * verdict, so the verdict a person approves is the one that was measured.
 */
export function evaluateGuardrails(input: GuardrailInput, config: GuardrailsConfig): TrippedGuardrail[] {
  const tripped: TrippedGuardrail[] = [];
  if (input.validActive < config.minRecords) {
    tripped.push({
      guardrail: 'empty-export',
      measured: input.validActive,
      threshold: config.minRecords,
      message: `the export has ${input.validActive} valid active records; at least ${config.minRecords} expected`,
    });
  }
  const reference = input.previous?.records ?? input.confirmedActive;
  const floor = Math.ceil(reference * (1 - config.maxShrinkPercent / 100));
  if (reference > 0 && input.recordsRead < floor) {
    tripped.push({
      guardrail: 'shrunken-export',
      measured: input.recordsRead,
      threshold: floor,
      message: `the export has ${input.recordsRead} records, ${input.previous ? 'the last applied one had' : 'Okta has'} ${reference}: more than ${config.maxShrinkPercent}% fewer`,
    });
  }
  if (config.headerDrift && input.fields.length > 0) {
    const present = new Set(input.fields);
    const missing = [
      ...new Set([
        ...input.mappedFields.map((f) => (present.has(f) ? f : f.split('.')[0]!)),
        ...(input.previous?.fields ?? []),
      ]),
    ].filter((f) => !present.has(f));
    if (missing.length > 0) {
      tripped.push({
        guardrail: 'header-drift',
        measured: missing.length,
        threshold: 0,
        message: `fields missing from the export: ${missing.join(', ')}`,
      });
    }
  }
  if (input.deactivations > config.maxDeactivations) {
    tripped.push({
      guardrail: 'too-many-deactivations',
      measured: input.deactivations,
      threshold: config.maxDeactivations,
      message: `${input.deactivations} deactivations; more than ${config.maxDeactivations} need approval`,
    });
  }
  const relative = Math.floor((input.confirmedActive * config.maxDeactivationPercent) / 100);
  if (input.deactivations > 0 && input.deactivations > relative) {
    tripped.push({
      guardrail: 'too-many-deactivations-relative',
      measured: input.deactivations,
      threshold: relative,
      message: `${input.deactivations} deactivations of ${input.confirmedActive} active users; more than ${config.maxDeactivationPercent}% need approval`,
    });
  }
  const invalidLimit = Math.floor((input.recordsRead * config.maxInvalidPercent) / 100);
  if (input.invalid > invalidLimit) {
    tripped.push({
      guardrail: 'too-many-invalid',
      measured: input.invalid,
      threshold: invalidLimit,
      message: `${input.invalid} of ${input.recordsRead} records are invalid; more than ${config.maxInvalidPercent}%`,
    });
  }
  if (input.unidentified > 0 && input.deactivations > 0) {
    tripped.push({
      guardrail: 'unidentified-records',
      measured: input.unidentified,
      threshold: 0,
      message: `${input.unidentified} invalid records have no externalId; the ${input.deactivations} deactivations may include the people they describe`,
    });
  }
  const keys = input.suspiciousKeys ?? [];
  if (keys.length > 0) {
    tripped.push({
      guardrail: 'suspicious-key-change',
      measured: keys.length,
      threshold: 0,
      message: `people leave while a near-identical externalId arrives (the same person re-keyed?): ${named(
        keys.map((p) => `${p.leaving} leaves, ${p.arriving} arrives (${p.difference})`),
      )}`,
    });
  }
  const lookalikes = input.lookalikes ?? [];
  if (lookalikes.length > 0) {
    tripped.push({
      guardrail: 'lookalike-account',
      measured: lookalikes.length,
      threshold: 0,
      message: `new accounts look like another person's (Unicode confusables): ${named(
        lookalikes.map((p) => `${p.arriving}'s ${p.attribute} looks like ${p.existing}'s`),
      )}`,
    });
  }
  return tripped;
}

function named(pairs: string[]): string {
  const listed = pairs.slice(0, PAIRS_NAMED).join('; ');
  return pairs.length > PAIRS_NAMED ? `${listed}; and ${pairs.length - PAIRS_NAMED} more` : listed;
}
