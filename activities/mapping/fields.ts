import type { Condition, MappingConfig, ValueSpec } from './config.ts';

/** The HR fields a mapping reads: an export without them has drifted from what the mapping expects. */
export function mappedFields(mapping: MappingConfig): string[] {
  const fields = new Set<string>();
  const value = (spec: ValueSpec): void => {
    if (typeof spec === 'string') {
      fields.add(spec);
      return;
    }
    if (spec.field !== undefined) fields.add(spec.field);
    if (spec.template !== undefined) for (const m of spec.template.matchAll(/\{([^{}]+)\}/g)) fields.add(m[1]!.trim());
    for (const inner of [...(spec.join ?? []), ...(spec.firstOf ?? [])]) value(inner);
    if (spec.when) condition(spec.when);
  };
  const condition = (c: Condition): void => {
    if ('all' in c) c.all.forEach(condition);
    else if ('any' in c) c.any.forEach(condition);
    else if ('not' in c) condition(c.not);
    else fields.add(c.field);
  };
  value(mapping.externalId);
  Object.values(mapping.attributes).forEach(value);
  if (mapping.exclude) condition(mapping.exclude);
  const { status, startDate, terminationDate } = mapping.lifecycle;
  for (const f of [status?.field, startDate?.field, terminationDate?.field]) if (f) fields.add(f);
  if (mapping.manager) {
    fields.add(mapping.manager.field);
    if (mapping.manager.matches) fields.add(mapping.manager.matches);
  }
  for (const group of mapping.groups) value(group.value);
  return [...fields].sort();
}
