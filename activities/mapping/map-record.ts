import { createHash } from 'node:crypto';
import type { Profile } from '../store/state-store.ts';
import type { MappingConfig, ValueSpec } from './config.ts';
import { MappingIssue, evaluate, fieldValue, matches, toAscii } from './expressions.ts';
import type { HrRecord } from './expressions.ts';
import { lifecycleOf } from './lifecycle-rules.ts';
import type { LifecycleFinding } from './lifecycle-rules.ts';
import { invisibleCharacter, normalizedKey } from './keys.ts';
import { EXTERNAL_ID_MAX, profileProblems } from './okta-profile-rules.ts';

/**
 * What a record means for Okta today:
 * - active: upsert;
 * - terminated (status, or a termination date that has come): deactivate if Okta has the user active;
 * - pre-hire: starts later than the pre-hire window; held (neither created nor, if Okta already has it,
 *   deactivated: a start date moved later is no reason to lock someone out);
 * - out-of-scope: excluded by the mapping; treated as gone from HR.
 */
export type Disposition = 'active' | 'terminated' | 'pre-hire' | 'out-of-scope';

export interface DerivedGroup {
  externalId: string;
  displayName: string;
  description?: string;
}

export interface MappedPerson {
  externalId: string;
  disposition: Disposition;
  /** For active people: the profile without the manager attribute (resolved once every record is known). */
  profile: Profile;
  groups: DerivedGroup[];
  /** The value of the manager field (a reference to another record's `refKey`). */
  managerRef?: string;
  /** What other records' manager field holds to point at this person. */
  refKey?: string;
  /** The day the record's lifecycle changes next (pre-hire → active, active → terminated), if known. */
  nextChange?: string;
  /** A lifecycle contradiction HR should fix, and what the plan does about it. */
  finding?: LifecycleFinding;
}

export interface RecordProblem {
  /** Absent when the record has no usable externalId. */
  externalId?: string;
  field: string;
  reason: string;
}

export type MapOutcome = { ok: true; person: MappedPerson } | { ok: false; problem: RecordProblem };

export function mapRecord(record: HrRecord, mapping: MappingConfig, today: string): MapOutcome {
  let key: ReturnType<typeof normalizedKey>;
  try {
    key = normalizedKey(evaluate(mapping.externalId, record, mapping.lookups));
  } catch (error) {
    return { ok: false, problem: issueOf(error, 'externalId') };
  }
  if (key === undefined) return { ok: false, problem: { field: 'externalId', reason: 'is empty' } };
  if (!key.ok) return { ok: false, problem: { field: 'externalId', reason: key.reason } };
  const externalId = key.key;
  if (externalId.length > EXTERNAL_ID_MAX) {
    return { ok: false, problem: { field: 'externalId', reason: `is longer than ${EXTERNAL_ID_MAX} characters` } };
  }
  try {
    return { ok: true, person: mapPerson(record, mapping, today, externalId) };
  } catch (error) {
    return { ok: false, problem: { externalId, ...issueOf(error, 'record') } };
  }
}

function mapPerson(record: HrRecord, mapping: MappingConfig, today: string, externalId: string): MappedPerson {
  const person: MappedPerson = { externalId, disposition: 'active', profile: {}, groups: [] };
  if (mapping.exclude && matches(mapping.exclude, record)) return { ...person, disposition: 'out-of-scope' };
  const { disposition, nextChange, finding } = lifecycleOf(record, mapping, today);
  if (finding) person.finding = finding;
  if (disposition !== 'active') return { ...person, disposition, ...(nextChange ? { nextChange } : {}) };
  if (nextChange) person.nextChange = nextChange;

  for (const [attribute, spec] of attributesOf(mapping)) {
    let value: string | undefined;
    try {
      value = evaluate(spec, record, mapping.lookups);
    } catch (error) {
      throw new MappingIssue(
        attribute,
        error instanceof MappingIssue ? `${error.field} ${error.message}` : String(error),
      );
    }
    if (value === undefined) continue;
    // Composed form, so that the same text in another Unicode form is the same profile (and fingerprint).
    const text = value.normalize('NFC');
    if (LOGIN_ATTRIBUTES.includes(attribute)) {
      const reason = invisibleCharacter(text);
      if (reason !== undefined) throw new MappingIssue(attribute, reason);
    }
    person.profile[attribute] = text;
  }
  const problem = profileProblems(person.profile, mapping.customAttributes)[0];
  if (problem) throw new MappingIssue(problem.field, problem.reason);

  for (const group of mapping.groups) {
    const value = keyValue(evaluate(group.value, record, mapping.lookups), groupField(group.value));
    if (value === undefined) continue;
    const derived: DerivedGroup = {
      externalId: `${group.externalIdPrefix}${slug(value)}`,
      displayName: group.displayName.replaceAll('{value}', value),
    };
    if (group.description !== undefined) derived.description = group.description.replaceAll('{value}', value);
    person.groups.push(derived);
  }
  if (mapping.manager) {
    const ref = keyValue(fieldValue(record, mapping.manager.field), mapping.manager.field);
    if (ref) person.managerRef = ref;
    const matches = mapping.manager.matches;
    const key = matches ? keyValue(fieldValue(record, matches), matches) : externalId;
    if (key) person.refKey = key;
  }
  return person;
}

/** The attributes that sign a person in or reach them: a character nobody sees there makes a lookalike account. */
const LOGIN_ATTRIBUTES = ['userName', 'email', 'secondEmail'];

/** A value used as a key or reference, normalized; refused (naming `field`) when it names nobody for certain. */
function keyValue(text: string | undefined, field: string): string | undefined {
  const key = normalizedKey(text);
  if (key === undefined) return undefined;
  if (!key.ok) throw new MappingIssue(field, key.reason);
  return key.key;
}

function groupField(spec: ValueSpec): string {
  if (typeof spec === 'string') return spec;
  return spec.field ?? 'groups';
}

/** The mapping's attributes as a list, made once per mapping rather than once per record. */
const attributeLists = new WeakMap<MappingConfig['attributes'], [string, ValueSpec][]>();

function attributesOf(mapping: MappingConfig): [string, ValueSpec][] {
  let list = attributeLists.get(mapping.attributes);
  if (!list) attributeLists.set(mapping.attributes, (list = Object.entries(mapping.attributes)));
  return list;
}

function slug(value: string): string {
  return (
    toAscii(value)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || createHash('sha256').update(value).digest('hex').slice(0, 12)
  );
}

function issueOf(error: unknown, fallbackField: string): { field: string; reason: string } {
  if (error instanceof MappingIssue) return { field: error.field, reason: error.message };
  return { field: fallbackField, reason: error instanceof Error ? error.message : String(error) };
}
