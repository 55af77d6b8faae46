import type { InvalidRecord } from './report.ts';

/** Why a record's manager reference could not be followed, when it is a data problem HR should fix. */
export type ManagerProblem = 'self' | 'refused' | 'ambiguous';

const MANAGER_REASONS: Record<ManagerProblem, string> = {
  self: 'names this person as their own manager',
  refused: "names a manager whose own record is refused (see that record's row)",
  ambiguous: 'names a manager key that more than one record holds',
};

interface Where {
  row: number;
  line: number | null;
}

/**
 * Per-record findings of a plan: records planned despite something HR should fix, each saying what the plan does.
 * Keyed by person and kind, so that a manager resolved again (after a duplicate was found) replaces its finding.
 */
export class RecordFindings {
  readonly #found = new Map<string, InvalidRecord>();

  note(externalId: string, kind: string, where: Where, field: string, reason: string): void {
    const finding: InvalidRecord = { row: where.row, externalId, field, reason };
    if (where.line !== null) finding.line = where.line;
    this.#found.set(`${kind}\n${externalId}`, finding);
  }

  /** The record's manager was found: no manager finding. */
  managerResolved(externalId: string): void {
    this.#found.delete(`manager\n${externalId}`);
  }

  /** The record's manager reference could not be followed; `kept` is the manager value Okta confirmed, if any. */
  managerUnresolved(
    externalId: string,
    where: Where,
    field: string,
    problem: ManagerProblem | undefined,
    kept: string | undefined,
  ): void {
    if (!problem) {
      this.managerResolved(externalId);
      return;
    }
    const outcome = kept === undefined ? 'no manager is set' : 'the manager Okta last confirmed is kept';
    this.note(externalId, 'manager', where, field, `${MANAGER_REASONS[problem]}: ${outcome}`);
  }

  /**
   * Marks everyone whose chain of managers leads back to them. `managerOf` gives the externalId of a person's
   * resolved manager. Values are still sent: each reference names a valid record, and Okta holds them as given.
   */
  cycles<P extends Where>(
    people: Map<string, P>,
    managerOf: (person: P) => string | undefined,
    field: string | undefined,
  ): void {
    if (field === undefined) return;
    const state = new Map<string, 'walking' | 'done'>();
    for (const start of people.keys()) {
      if (state.has(start)) continue;
      const path: string[] = [];
      let at: string | undefined = start;
      while (at !== undefined && !state.has(at)) {
        state.set(at, 'walking');
        path.push(at);
        const person = people.get(at);
        at = person ? managerOf(person) : undefined;
      }
      if (at !== undefined && state.get(at) === 'walking') {
        const cycle = path.slice(path.indexOf(at));
        if (cycle.length > 1) {
          for (const id of cycle) {
            this.note(
              id,
              'cycle',
              people.get(id)!,
              field,
              `is part of a manager cycle of ${cycle.length} records (the chain of managers leads back to this person): ` +
                'the managers are set as HR gives them',
            );
          }
        }
      }
      for (const id of path) state.set(id, 'done');
    }
  }

  get count(): number {
    return this.#found.size;
  }

  /** The first `limit` findings by row. */
  list(limit: number): InvalidRecord[] {
    return [...this.#found.values()].sort((a, b) => a.row - b.row).slice(0, limit);
  }
}
