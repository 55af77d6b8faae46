import { printable } from '../activities/planning/printable.ts';

/** One attribute of a person: what Okta holds, and what the plan sends (null: cleared). */
export interface AttributeChange {
  attribute: string;
  okta: string | null;
  planned: string | null;
}

/**
 * What a plan changes for one person against what Okta holds now: the attributes whose values differ (an attribute
 * the plan clears and Okta has no value for is no change). `planned` undefined: the plan deactivates the person.
 */
export function personDiff(
  okta: Record<string, string | null> | undefined,
  planned: Record<string, string | null> | undefined,
): AttributeChange[] {
  if (!planned) return [];
  const names = [...new Set([...Object.keys(okta ?? {}), ...Object.keys(planned)])].sort();
  return names
    .map((attribute) => ({ attribute, okta: okta?.[attribute] ?? null, planned: planned[attribute] ?? null }))
    .filter((change) => change.okta !== change.planned);
}

/** The diff as a person reads it in a terminal (values made printable: they come from HR and Okta). */
export function renderPersonDiff(
  externalId: string,
  okta: Record<string, string | null> | undefined,
  plan: { outcome: string; profile?: Record<string, string | null> },
): string {
  const lines = [`${externalId}: ${plan.outcome}${okta ? '' : ' (Okta has no such user)'}`];
  const changes = personDiff(okta, plan.profile);
  const width = Math.max(0, ...changes.map((c) => c.attribute.length));
  for (const change of changes) {
    const from = change.okta === null ? '(none)' : JSON.stringify(change.okta);
    const to = change.planned === null ? '(cleared)' : JSON.stringify(change.planned);
    lines.push(`  ${change.attribute.padEnd(width)}  ${from} → ${to}`);
  }
  if (plan.profile && changes.length === 0) lines.push('  no attribute differs from what Okta has');
  return printable(`${lines.join('\n')}\n`);
}
