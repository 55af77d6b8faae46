import type { Profile, UpsertProfile } from '../store/state-store.ts';
import type { Problem } from './row-outcome.ts';

/** Okta's base user attributes (identity-source user profile). */
export const BASE_ATTRIBUTES = [
  'userName',
  'email',
  'firstName',
  'lastName',
  'secondEmail',
  'mobilePhone',
  'homeAddress',
] as const;

/**
 * Base attributes the bulk-upsert profile schema does not mark nullable: a `null` for them fails Okta's checks, so
 * bulk upsert cannot clear them.
 */
const NOT_NULLABLE: ReadonlySet<string> = new Set(['userName', 'email', 'secondEmail']);

/** The names of the attributes a confirmed profile holds a value for, shared between people with the same list. */
export class ConfirmedNames {
  readonly #lists = new Map<string, readonly string[]>();

  of(profile: UpsertProfile | undefined): readonly string[] | undefined {
    if (!profile) return undefined;
    const names = Object.keys(profile)
      .filter((name) => profile[name] !== null)
      .sort();
    const key = names.join('\n');
    let list = this.#lists.get(key);
    if (!list) this.#lists.set(key, (list = names));
    return list;
  }
}

export interface ClearingContext {
  /** Attributes an upsert may hold: the identity source's user schema when read, else base + declared custom. */
  attributes: readonly string[];
  /** True when `attributes` is Okta's own schema (so that anything else in a profile would be refused). */
  fromSchema: boolean;
}

export type UpsertDecision = { ok: true; body: UpsertProfile } | { ok: false; problem: Problem };

/**
 * What is sent for a mapped profile of a person Okta knows (`known`): the mapped values, plus `null` for each
 * attribute Okta holds a value for that HR (or the mapping) no longer gives, so that Okta clears it. Which ones Okta
 * holds is the confirmed profile's list; when that is not known (confirmed before profiles were kept), or in a full
 * sync (which repairs drift), every attribute Okta may hold is cleared. Refused, naming the attribute: an attribute
 * missing from Okta's schema (Okta would refuse the record at import, unseen), and clearing a value Okta holds in
 * an attribute bulk upsert cannot clear.
 */
export function upsertBody(
  profile: Profile,
  known: boolean,
  confirmedNames: readonly string[] | undefined,
  context: ClearingContext,
  full: boolean,
  /** An attribute whose value Okta may hold but this upsert must leave as it is (a manager that cannot be found). */
  keep?: string,
): UpsertDecision {
  if (context.fromSchema) {
    for (const name of Object.keys(profile)) {
      if (!context.attributes.includes(name)) {
        return {
          ok: false,
          problem: {
            field: name,
            reason:
              "is not an attribute of the identity source's user schema in Okta, which would refuse the record: " +
              'add the attribute to the schema (Profile Editor) or take it out of the mapping',
          },
        };
      }
    }
  }
  if (!known) return { ok: true, body: profile };
  for (const name of confirmedNames ?? []) {
    if (profile[name] === undefined && NOT_NULLABLE.has(name)) {
      return {
        ok: false,
        problem: {
          field: name,
          reason:
            `was cleared in HR, but Okta's bulk upsert cannot clear ${name} (not nullable in Okta's schema): the ` +
            `record is left as Okta has it, and refused on every sync until HR gives ${name} a value again`,
        },
      };
    }
  }
  let body: UpsertProfile | undefined;
  const clear = (name: string) => {
    if (profile[name] !== undefined || NOT_NULLABLE.has(name) || name === keep) return;
    if (context.fromSchema && !context.attributes.includes(name)) return;
    body ??= { ...profile };
    body[name] = null;
  };
  if (full || confirmedNames === undefined) for (const name of context.attributes) clear(name);
  for (const name of confirmedNames ?? []) clear(name);
  return { ok: true, body: body ?? profile };
}
