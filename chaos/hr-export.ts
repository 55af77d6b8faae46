// The HR side of the fast-path chaos scenario: an export of people written as CSV for the worker to read, edited
// between syncs, and what Okta must then hold for each person, worked out here from the rows alone (not by the
// project's mapping code, so that a mapping bug cannot hide a sync bug).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** The identity source's attributes beyond Okta's base ones, as the sync config maps them. */
export const FAST_PATH_CUSTOM_ATTRIBUTES = ['department', 'title', 'employeeNumber'];

const HEADER = ['employee_id', 'first_name', 'last_name', 'work_email', 'mobile', 'department', 'job_title'];
const FIRST_NAMES = ['Amara', 'José', 'Zoë', 'Łukasz', 'Mei', 'Omar', 'Ingrid', 'Kwame', 'Priya', 'Sven'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'People', 'Finance', 'Customer Success', 'IT'];
const TITLES = ['Engineer', 'Senior Engineer', 'Manager', 'Analyst', 'Specialist', 'Director', 'Coordinator'];

export interface HrPerson {
  employeeId: string;
  firstName: string;
  lastName: string;
  email: string;
  /** Empty: HR has no mobile number (cleared, or never set). */
  mobile: string;
  department: string;
  title: string;
}

/** What one delta changed in HR, by externalId. */
export interface HrDelta {
  updated: string[];
  /** Of the updated, those whose mobile number HR cleared. */
  cleared: string[];
  leavers: string[];
  joiners: string[];
}

export class HrExport {
  readonly people = new Map<string, HrPerson>();
  /** Everyone who ever was in this export, leavers too. */
  readonly everyone = new Set<string>();
  readonly path: string;
  private next = 0;
  private readonly tag: string;

  constructor(dir: string, tag: string) {
    this.path = join(dir, 'hr-export.csv');
    this.tag = tag;
  }

  /** `count` people, a tenth of them without a mobile number. */
  populate(count: number): void {
    for (let i = 0; i < count; i++) this.join(i % 10 === 3 ? '' : undefined);
  }

  /**
   * Changes `size` people (at most): one joiner, 1–3 leavers, the rest updated (a new title or department, a mobile
   * number cleared, one added).
   */
  edit(size: number, random: () => number): HrDelta {
    const pick = (n: number, from: string[]) => shuffled(from, random).slice(0, n);
    const leavers = pick(1 + Math.floor(random() * 3), [...this.people.keys()]);
    for (const id of leavers) this.people.delete(id);
    const updated = pick(Math.max(1, size - leavers.length - 1), [...this.people.keys()]);
    const cleared: string[] = [];
    for (const [i, id] of updated.entries()) {
      const person = this.people.get(id)!;
      if (i % 3 === 0 && person.mobile !== '') {
        person.mobile = '';
        cleared.push(id);
      } else if (i % 3 === 0) person.mobile = mobileOf(this.next + i);
      else if (i % 3 === 1) person.department = DEPARTMENTS[(DEPARTMENTS.indexOf(person.department) + 1) % 7]!;
      else person.title = `${TITLES[Math.floor(random() * TITLES.length)]} ${this.tag}-${this.next}`;
    }
    const joiner = this.join();
    return { updated, cleared, leavers, joiners: [joiner] };
  }

  async write(): Promise<void> {
    const rows = [...this.people.values()].map((p) =>
      [p.employeeId, p.firstName, p.lastName, p.email, p.mobile, p.department, p.title].join(','),
    );
    await writeFile(this.path, [HEADER.join(','), ...rows].join('\n') + '\n');
  }

  /** The profile Okta must hold for a person HR has: every value as HR says, an empty one absent. */
  expectedProfile(externalId: string): Record<string, string> | undefined {
    const p = this.people.get(externalId);
    if (!p) return undefined;
    const profile: Record<string, string> = {
      userName: p.email,
      email: p.email,
      firstName: p.firstName,
      lastName: p.lastName,
      department: p.department,
      title: p.title,
      employeeNumber: p.employeeId,
    };
    if (p.mobile !== '') profile.mobilePhone = p.mobile;
    return profile;
  }

  private join(mobile?: string): string {
    const n = this.next++;
    const employeeId = `E${10_000 + n}`;
    const firstName = FIRST_NAMES[n % FIRST_NAMES.length]!;
    this.people.set(employeeId, {
      employeeId,
      firstName,
      lastName: `Person${n}`,
      email: `person${n}.${this.tag}@example.com`.toLowerCase(),
      mobile: mobile ?? mobileOf(n),
      department: DEPARTMENTS[n % DEPARTMENTS.length]!,
      title: TITLES[n % TITLES.length]!,
    });
    this.everyone.add(employeeId);
    return employeeId;
  }
}

/** The sync config the worker plans with: this export, its columns mapped one to one, users only (no groups). */
export async function writeSyncConfig(dir: string): Promise<string> {
  const path = join(dir, 'hr-okta-sync.yaml');
  await writeFile(
    path,
    stringify({
      source: { type: 'csv', location: 'hr-export.csv', delimiter: ',' },
      mapping: {
        externalId: 'employee_id',
        attributes: {
          userName: 'work_email',
          email: 'work_email',
          firstName: 'first_name',
          lastName: 'last_name',
          mobilePhone: 'mobile',
          department: 'department',
          title: 'job_title',
          employeeNumber: 'employee_id',
        },
        customAttributes: FAST_PATH_CUSTOM_ATTRIBUTES,
      },
      guardrails: { minRecords: 1, maxShrinkPercent: 20, maxDeactivations: 25, maxDeactivationPercent: 10 },
      reports: { dir: 'reports', samples: 0 },
    }),
  );
  return path;
}

function mobileOf(n: number): string {
  return `+1 415 555 ${String(1_000 + (n % 9_000)).padStart(4, '0')}`;
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
