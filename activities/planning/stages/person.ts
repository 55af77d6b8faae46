/** What the first record naming a person plans for them (`waiting`: for a manager that comes later). */
export type Outcome =
  'absent' | 'invalid' | 'held' | 'terminated' | 'out-of-scope' | 'waiting' | 'unchanged' | 'create' | 'update';

/**
 * What planning knows of one person (externalId): what Okta confirmed, and what the export's records say. One of
 * these per person is the planner's in-memory index (the confirmed snapshot plus the export's new people).
 */
export class Person {
  /** Okta's confirmed fingerprint; undefined when Okta does not know the person. */
  readonly confirmed: string | undefined;
  readonly active: boolean;
  /** Records of the export naming the person: more than one makes every one of them invalid. */
  records = 0;
  /** Where the first record is, and what it plans. */
  row = 0;
  line: number | null = null;
  outcome: Outcome = 'absent';
  nextChange: string | undefined = undefined;
  managerMissing = false;
  /** Their record as a manager, when manager references are externalIds (no map of its own then). */
  ref: Ref | undefined = undefined;
  /** Attributes the profile Okta confirmed holds values for (undefined: not known, confirmed before it was kept). */
  readonly confirmedNames: readonly string[] | undefined;
  /** The manager attribute's value Okta confirmed: kept while the record's manager reference cannot be resolved. */
  readonly confirmedManager: string | undefined;
  /** The externalId of the manager whose value the person took. */
  managerId: string | undefined = undefined;

  constructor(
    confirmed: string | undefined,
    active: boolean,
    confirmedNames?: readonly string[],
    confirmedManager?: string,
  ) {
    this.confirmed = confirmed;
    this.active = active;
    this.confirmedNames = confirmedNames;
    this.confirmedManager = confirmedManager;
  }

  /** The person's one record is valid (so far: a later record can still make it a duplicate). */
  get valid(): boolean {
    return this.records === 1 && this.outcome !== 'invalid';
  }

  /** The person's record is valid and active: their profile and groups are planned. */
  get planned(): boolean {
    return this.outcome === 'unchanged' || this.outcome === 'create' || this.outcome === 'update';
  }
}

export interface RefHolder {
  externalId: string;
  /** The holder's mapped value of the manager attribute (`manager.value`). */
  value: string | undefined;
}

/**
 * The valid active records whose manager reference key (`manager.matches`, default the externalId) is `key`.
 * A report takes the manager's value as soon as the manager has been read; whether it did so while the key had one
 * holder or several is noted, so that a holder found invalid later (a duplicate) is caught.
 */
export interface Ref extends RefHolder {
  key: string;
  more: RefHolder[] | undefined;
  takenAlone: boolean;
  takenShared: boolean;
}
