import { format } from 'date-fns/format';
import type { MappingConfig } from './config.ts';
import { MappingIssue, fieldValue, parseHrDate } from './expressions.ts';
import type { HrRecord } from './expressions.ts';
import { strictDay } from './hr-day.ts';
import { addDays } from './lifecycle.ts';

/** Something about a record's lifecycle HR should fix, with what the plan does about it. */
export interface LifecycleFinding {
  field: string;
  reason: string;
}

/** Where a record stands on an HR day, by the mapping's lifecycle rules. */
export interface Lifecycle {
  disposition: 'active' | 'terminated' | 'pre-hire';
  /** The day the record's lifecycle changes next (pre-hire → active, active → terminated), if known. */
  nextChange?: string;
  finding?: LifecycleFinding;
}

/**
 * The mapping's lifecycle rules on one record: a termination date that has come terminates; a start date further
 * away than the pre-hire window holds the record. Where the status and the dates disagree, the dates decide when
 * (a person is deactivated on their termination date, never earlier) and the record carries a finding; dates that
 * cannot both hold (a start after the termination) refuse the record.
 */
export function lifecycleOf(record: HrRecord, mapping: MappingConfig, today: string): Lifecycle {
  const rules = mapping.lifecycle;
  let terminatedByStatus = false;
  if (rules.status) {
    const status = (fieldValue(record, rules.status.field) ?? '').trim();
    terminatedByStatus = rules.status.terminated.includes(status);
    if (!terminatedByStatus && !rules.status.active.includes(status)) {
      throw new MappingIssue(rules.status.field, 'is a status neither active nor terminated in the mapping');
    }
  }
  const ends = rules.terminationDate
    ? hrDay(record, rules.terminationDate.field, rules.terminationDate.format)
    : undefined;
  const starts = rules.startDate ? hrDay(record, rules.startDate.field, rules.startDate.format) : undefined;
  if (starts !== undefined && ends !== undefined && starts > ends) {
    throw new MappingIssue(
      rules.startDate!.field,
      `is after the termination date (${rules.terminationDate!.field}): the record is refused until HR fixes either date`,
    );
  }
  if (ends !== undefined && ends <= today) {
    if (rules.status && !terminatedByStatus) {
      return {
        disposition: 'terminated',
        finding: {
          field: rules.terminationDate!.field,
          reason: `has passed (${ends}) while the status is an active one: deactivated, as the termination date says`,
        },
      };
    }
    return { disposition: 'terminated' };
  }
  if (terminatedByStatus && ends === undefined) return { disposition: 'terminated' };
  const lifecycle: Lifecycle = { disposition: 'active' };
  if (ends !== undefined) lifecycle.nextChange = ends;
  if (terminatedByStatus) {
    lifecycle.finding = {
      field: rules.status!.field,
      reason:
        `is a terminated status, but the termination date (${rules.terminationDate!.field}) is still to come: ` +
        `active until then, deactivated on ${ends}`,
    };
  }
  const createFrom = starts === undefined ? undefined : addDays(starts, -rules.preHireDays);
  if (createFrom !== undefined && createFrom > today) {
    return { ...lifecycle, disposition: 'pre-hire', nextChange: createFrom };
  }
  return lifecycle;
}

function hrDay(record: HrRecord, field: string, pattern: string): string | undefined {
  const text = fieldValue(record, field)?.trim();
  if (!text) return undefined;
  const strict = pattern === 'yyyy-MM-dd' ? strictDay(text) : undefined;
  if (strict !== undefined) {
    if (strict === null) throw new MappingIssue(field, `is not a date in the format ${pattern}`);
    return strict;
  }
  const date = parseHrDate(text, pattern);
  if (!date) throw new MappingIssue(field, `is not a date in the format ${pattern}`);
  return pattern === 'iso' ? date.toISOString().slice(0, 10) : format(date, 'yyyy-MM-dd');
}
