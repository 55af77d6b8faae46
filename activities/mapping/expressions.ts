import { format } from 'date-fns/format';
import { isValid } from 'date-fns/isValid';
import { parse } from 'date-fns/parse';
import { parseISO } from 'date-fns/parseISO';
import type { Condition, Transform, ValueSpec } from './config.ts';
import { strictDay } from './hr-day.ts';

/** One HR record as read: field name → value (strings from CSV; any JSON value from JSON sources). */
export type HrRecord = Record<string, unknown>;

/** A record that cannot be mapped: which field and why. */
export class MappingIssue extends Error {
  readonly field: string;
  constructor(field: string, reason: string) {
    super(reason);
    this.name = 'MappingIssue';
    this.field = field;
  }
}

/** A field's value, as a string; dotted names reach into nested JSON objects when no flat field has the name. */
export function fieldValue(record: HrRecord, name: string): string | undefined {
  let value: unknown = record[name];
  if (value === undefined && name.includes('.')) {
    value = name.split('.').reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), record);
  }
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new MappingIssue(name, `is ${Array.isArray(value) ? 'a list' : 'an object'}; Okta attributes are strings`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function matches(condition: Condition, record: HrRecord): boolean {
  if ('all' in condition) return condition.all.every((c) => matches(c, record));
  if ('any' in condition) return condition.any.some((c) => matches(c, record));
  if ('not' in condition) return !matches(condition.not, record);
  const value = (fieldValue(record, condition.field) ?? '').trim();
  if (condition.equals !== undefined) return value === condition.equals;
  if (condition.in !== undefined) return condition.in.includes(value);
  if (condition.matches !== undefined) return new RegExp(condition.matches, 'u').test(value);
  return (value === '') === condition.empty;
}

/**
 * Evaluates a value: undefined when it has no value (missing or empty field, a false `when`). Empty strings
 * count as no value, so that `firstOf` and defaults behave as people expect from spreadsheets.
 */
export function evaluate(
  spec: ValueSpec,
  record: HrRecord,
  lookups: Record<string, Record<string, string>>,
): string | undefined {
  if (typeof spec === 'string') return nonEmpty(fieldValue(record, spec));
  if (spec.when && !matches(spec.when, record)) return undefined;
  let value: string | undefined;
  if (spec.field !== undefined) value = nonEmpty(fieldValue(record, spec.field));
  else if (spec.value !== undefined) value = nonEmpty(spec.value);
  else if (spec.template !== undefined) {
    value = nonEmpty(
      spec.template.replace(/\{([^{}]+)\}/g, (_, name: string) => fieldValue(record, name.trim())?.trim() ?? ''),
    );
  } else if (spec.join !== undefined) {
    const parts = spec.join.map((s) => evaluate(s, record, lookups)).filter((v) => v !== undefined);
    value = nonEmpty(parts.join(spec.separator ?? ' '));
  } else if (spec.firstOf !== undefined) {
    for (const candidate of spec.firstOf) {
      value = evaluate(candidate, record, lookups);
      if (value !== undefined) break;
    }
  }
  for (const transform of spec.transforms ?? [])
    value = applyTransform(transform, value, lookups, spec.field ?? '(value)');
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

// Letters that Unicode does not decompose into a base letter and a mark.
const unaccented: Record<string, string> = {
  ß: 'ss',
  ẞ: 'SS',
  æ: 'ae',
  Æ: 'AE',
  ø: 'o',
  Ø: 'O',
  œ: 'oe',
  Œ: 'OE',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'Th',
  ı: 'i',
};

export function toAscii(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[ßẞæÆøØœŒłŁđĐðÐþÞı]/g, (c) => unaccented[c] ?? c);
}

function applyTransform(
  transform: Transform,
  value: string | undefined,
  lookups: Record<string, Record<string, string>>,
  field: string,
): string | undefined {
  if (typeof transform === 'object' && 'default' in transform) return value ?? transform.default;
  if (value === undefined) return undefined;
  if (typeof transform === 'string') {
    switch (transform) {
      case 'trim':
        return nonEmpty(value.trim());
      case 'lower':
        return value.toLowerCase();
      case 'upper':
        return value.toUpperCase();
      case 'title':
        return value.toLowerCase().replace(/(^|[\s'-])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toUpperCase());
      case 'ascii':
        return toAscii(value);
      case 'collapseSpaces':
        return value.replace(/\s+/g, ' ').trim();
      case 'digits':
        return nonEmpty(value.replace(/[^\d+]/g, ''));
    }
  }
  if ('date' in transform) return reformatDate(value, transform.date.from, transform.date.to, field);
  if ('lookup' in transform) {
    const table = lookups[transform.lookup] ?? {};
    const found = table[value.trim()];
    if (found === undefined) throw new MappingIssue(field, `is not in lookup table ${transform.lookup}`);
    return nonEmpty(found);
  }
  if ('replace' in transform)
    return nonEmpty(value.replace(new RegExp(transform.replace.pattern, 'gu'), transform.replace.with));
  if ('prefix' in transform) return transform.prefix + value;
  return value + transform.suffix;
}

export function parseHrDate(value: string, pattern: string): Date | undefined {
  const text = value.trim();
  const date = pattern === 'iso' ? parseISO(text) : parse(text, pattern, new Date(2000, 0, 1));
  return isValid(date) ? date : undefined;
}

function reformatDate(value: string, from: string, to: string, field: string): string {
  const strict = from === 'yyyy-MM-dd' && to === 'yyyy-MM-dd' ? strictDay(value.trim()) : undefined;
  if (strict !== undefined) {
    if (strict === null) throw new MappingIssue(field, `is not a date in the format ${from}`);
    return strict;
  }
  const date = parseHrDate(value, from);
  if (!date) throw new MappingIssue(field, `is not a date in the format ${from}`);
  return to === 'iso' ? date.toISOString() : format(date, to);
}
