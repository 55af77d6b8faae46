import { randomUUID } from 'node:crypto';
import { migrationsFor } from './migrations.ts';
import type { Dialect } from './migrations.ts';
import {
  PAGE,
  SAVE_BATCH,
  checkPushLayout,
  emptyCounts,
  fromItemData,
  planSequences,
  sameLayout,
  toItemRow,
} from './plan-rows.ts';
import type { ItemRow } from './plan-rows.ts';
import type {
  BulkOperation,
  ConfirmedGroup,
  ConfirmedPerson,
  ConfirmedUser,
  UpsertProfile,
  HrEvent,
  HrEventType,
  ImportTime,
  ItemOf,
  NewPlan,
  PlanCounts,
  PlanHeader,
  PlannedMembership,
  PlanStatus,
  PushRequest,
  SessionRecord,
  SourceSnapshot,
  StateStore,
  StoredHrEvent,
} from './state-store.ts';
import { OPEN_SESSION_STATUSES, PlanNotFound } from './state-store.ts';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

/** Runs SQL written with `?` placeholders. */
export interface SqlExecutor {
  all<T extends Row>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: SqlValue[]): Promise<number>;
}

/** What a database must provide for the shared store. */
export interface SqlDriver extends SqlExecutor {
  dialect: Dialect;
  /**
   * Runs `work` in one transaction that sees and makes only its own changes; `work` must use only `tx` (never
   * wait on anything else), so that a transaction never waits on the caller's streams.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Serialises migrations between processes sharing the database (called inside the migration transaction). */
  lockForMigration(tx: SqlExecutor): Promise<void>;
  close(): Promise<void>;
}

interface PlanRow extends Row {
  plan_id: string;
  identity_source_id: string;
  mode: string;
  status: string;
  created_at: string;
  counts: string;
  report: string | null;
  source: string | null;
}

interface RequestRow extends Row {
  request_index: number | string;
  session_index: number | string;
  operation: string;
  first_item: number | string;
  item_count: number | string;
  bytes: number | string;
  confirmed_at: string | null;
}

interface SessionRow extends Row {
  identity_source_id: string;
  okta_session_id: string;
  plan_id: string;
  session_index: number | string;
  workflow_id: string;
  run_id: string;
  status: string;
  opened_at: string;
  updated_at: string;
}

/**
 * The state store on any SQL database the driver speaks for. Plans are saved in small batches outside any
 * long transaction (the caller's item streams may themselves read this store), and only become visible once
 * complete; everything that changes confirmed state runs in one transaction.
 */
export class SqlStateStore implements StateStore {
  readonly #db: SqlDriver;
  #lastPlanAt = 0;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  /** Row locks where the database has them; SQLite's write transactions already exclude each other. */
  get #forUpdate(): string {
    return this.#db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  /** The `profile` of an upsert item's JSON (`data`), as JSON text. */
  get #itemProfile(): string {
    return this.#db.dialect === 'postgres' ? "(data::jsonb -> 'profile')::text" : "json_extract(data, '$.profile')";
  }

  async migrate(): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#db.lockForMigration(tx);
      await tx.run(
        'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      const [row] = await tx.all<{ v: number | string | null }>('SELECT MAX(version) AS v FROM schema_version');
      const current = Number(row?.v ?? 0);
      for (const migration of migrationsFor(this.#db.dialect)) {
        if (migration.version <= current) continue;
        for (const statement of migration.statements) await tx.run(statement);
        await tx.run('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.description,
          new Date().toISOString(),
        ]);
      }
    });
  }

  /** The schema version the database is at (0 before the first migration). */
  async schemaVersion(): Promise<number> {
    const rows = await this.#db.all<{ v: number | string | null }>('SELECT MAX(version) AS v FROM schema_version');
    return Number(rows[0]?.v ?? 0);
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  async savePlan(plan: NewPlan): Promise<PlanHeader> {
    const planId = randomUUID();
    // Strictly later than this store's previous plan: "the latest plan" is by creation time, and two plans saved
    // within one millisecond would otherwise be ordered by their random ids.
    this.#lastPlanAt = Math.max(Date.now(), this.#lastPlanAt + 1);
    const createdAt = new Date(this.#lastPlanAt).toISOString();
    const status: PlanStatus = plan.status ?? 'planned';
    const counts = emptyCounts();
    await this.#db.run(
      'INSERT INTO plans (plan_id, identity_source_id, mode, status, created_at, complete, counts, report, source) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)',
      [
        planId,
        plan.identitySourceId,
        plan.mode,
        status,
        createdAt,
        JSON.stringify(counts),
        plan.report === undefined ? null : JSON.stringify(plan.report),
        plan.source === undefined ? null : JSON.stringify(plan.source),
      ],
    );
    try {
      for (const sequence of planSequences(plan)) {
        let batch: ItemRow[] = [];
        for await (const item of sequence.items) {
          batch.push(toItemRow(sequence.operation, item));
          if (batch.length === SAVE_BATCH) {
            await this.#insertItems(planId, sequence.operation, counts[sequence.count], batch);
            counts[sequence.count] += batch.length;
            batch = [];
          }
        }
        if (batch.length > 0) {
          await this.#insertItems(planId, sequence.operation, counts[sequence.count], batch);
          counts[sequence.count] += batch.length;
        }
      }
      await this.#db.run('UPDATE plans SET complete = 1, counts = ? WHERE plan_id = ?', [
        JSON.stringify(counts),
        planId,
      ]);
    } catch (error) {
      await this.#discardPlan(planId);
      throw error;
    }
    const header: PlanHeader = {
      planId,
      identitySourceId: plan.identitySourceId,
      mode: plan.mode,
      status,
      createdAt,
      counts,
    };
    if (plan.report !== undefined) header.report = plan.report;
    if (plan.source !== undefined) header.source = plan.source;
    return header;
  }

  async #insertItems(planId: string, operation: BulkOperation, firstIndex: number, rows: ItemRow[]): Promise<void> {
    const params: SqlValue[] = [];
    rows.forEach((row, i) =>
      params.push(planId, operation, firstIndex + i, row.key1, row.key2, row.fingerprint, row.data),
    );
    await this.#db.run(
      `INSERT INTO plan_items (plan_id, operation, item_index, key1, key2, fingerprint, data) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params,
    );
  }

  async #discardPlan(planId: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.run('DELETE FROM plan_items WHERE plan_id = ?', [planId]);
      await tx.run('DELETE FROM plans WHERE plan_id = ?', [planId]);
    });
  }

  async getPlan(planId: string): Promise<PlanHeader | undefined> {
    const [row] = await this.#db.all<PlanRow>('SELECT * FROM plans WHERE plan_id = ? AND complete = 1', [planId]);
    return row && toHeader(row);
  }

  async setPlanStatus(planId: string, status: PlanStatus): Promise<void> {
    const changed = await this.#db.run('UPDATE plans SET status = ? WHERE plan_id = ? AND complete = 1', [
      status,
      planId,
    ]);
    if (changed === 0) throw new PlanNotFound(planId);
  }

  async findLatestPlan(identitySourceId: string, statuses: PlanStatus[]): Promise<PlanHeader | undefined> {
    if (statuses.length === 0) return undefined;
    const [row] = await this.#db.all<PlanRow>(
      `SELECT * FROM plans WHERE identity_source_id = ? AND complete = 1 AND status IN (${placeholders(statuses)})
       ORDER BY created_at DESC, plan_id DESC LIMIT 1`,
      [identitySourceId, ...statuses],
    );
    return row && toHeader(row);
  }

  async readItems<O extends BulkOperation>(
    planId: string,
    operation: O,
    from: number,
    count: number,
  ): Promise<ItemOf<O>[]> {
    const rows = await this.#db.all<{ data: string }>(
      'SELECT data FROM plan_items WHERE plan_id = ? AND operation = ? AND item_index >= ? AND item_index < ? ORDER BY item_index',
      [planId, operation, from, from + count],
    );
    return rows.map((r) => fromItemData<O>(r.data));
  }

  async *streamItems<O extends BulkOperation>(planId: string, operation: O): AsyncIterable<ItemOf<O>> {
    for (let from = 0; ; from += PAGE) {
      const items = await this.readItems(planId, operation, from, PAGE);
      yield* items;
      if (items.length < PAGE) return;
    }
  }

  async savePushLayout(planId: string, requests: PushRequest[]): Promise<void> {
    const plan = await this.getPlan(planId);
    if (!plan) throw new Error(`no plan ${planId}`);
    checkPushLayout(planId, plan.counts, requests);
    await this.#db.transaction(async (tx) => {
      const [row] = await tx.all<{ laid_out: number | string }>(
        `SELECT laid_out FROM plans WHERE plan_id = ?${this.#forUpdate}`,
        [planId],
      );
      if (Number(row?.laid_out) === 1) {
        if (!sameLayout(await readLayout(tx, planId), requests)) {
          throw new Error(`plan ${planId} already has a different push layout; a plan is pushed exactly as laid out`);
        }
        return;
      }
      for (let i = 0; i < requests.length; i += SAVE_BATCH) {
        const batch = requests.slice(i, i + SAVE_BATCH);
        const params: SqlValue[] = [];
        for (const r of batch)
          params.push(planId, r.index, r.sessionIndex, r.operation, r.firstItem, r.itemCount, r.bytes);
        await tx.run(
          `INSERT INTO push_requests (plan_id, request_index, session_index, operation, first_item, item_count, bytes) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          params,
        );
      }
      await tx.run('UPDATE plans SET laid_out = 1 WHERE plan_id = ?', [planId]);
    });
  }

  async getPushLayout(planId: string): Promise<PushRequest[] | undefined> {
    const [plan] = await this.#db.all<{ laid_out: number | string }>('SELECT laid_out FROM plans WHERE plan_id = ?', [
      planId,
    ]);
    if (!plan || Number(plan.laid_out) !== 1) return undefined;
    return readLayout(this.#db, planId);
  }

  async confirmRequests(
    planId: string,
    from: number,
    to: number,
    confirmedAt: string,
    exceptUsers: string[] = [],
    keepConfirmedAfter?: string,
  ): Promise<void> {
    const plan = await this.getPlan(planId);
    if (!plan) throw new Error(`no plan ${planId}`);
    const source = plan.identitySourceId;
    // People Okta did not apply as sent keep their confirmed record, so the next delta plan sends them again.
    const notExcepted = exceptUsers.length > 0 ? ` AND key1 NOT IN (${placeholders(exceptUsers)})` : '';
    // A person's record never goes back to what an import applied before a later single-record write of theirs.
    const notNewer = keepConfirmedAfter === undefined ? '' : ' WHERE confirmed_users.confirmed_at <= ?';
    const newerParams = keepConfirmedAfter === undefined ? [] : [keepConfirmedAfter];
    await this.#db.transaction(async (tx) => {
      const requests = await tx.all<RequestRow>(
        `SELECT * FROM push_requests WHERE plan_id = ? AND request_index >= ? AND request_index < ? AND confirmed_at IS NULL ORDER BY request_index${this.#forUpdate}`,
        [planId, from, to],
      );
      for (const r of requests) {
        const range: SqlValue[] = [
          planId,
          r.operation,
          Number(r.first_item),
          Number(r.first_item) + Number(r.item_count),
        ];
        const items = 'FROM plan_items WHERE plan_id = ? AND operation = ? AND item_index >= ? AND item_index < ?';
        switch (r.operation as BulkOperation) {
          case 'USER_UPSERT':
            await tx.run(
              `INSERT INTO confirmed_users (identity_source_id, external_id, fingerprint, status, confirmed_at, profile)
               SELECT ?, key1, fingerprint, 'ACTIVE', ?, ${this.#itemProfile} ${items}${notExcepted}
               ON CONFLICT (identity_source_id, external_id) DO UPDATE
               SET fingerprint = excluded.fingerprint, status = 'ACTIVE', confirmed_at = excluded.confirmed_at,
                 profile = excluded.profile${notNewer}`,
              [source, confirmedAt, ...range, ...exceptUsers, ...newerParams],
            );
            break;
          case 'USER_DEACTIVATE':
            await tx.run(
              `INSERT INTO confirmed_users (identity_source_id, external_id, fingerprint, status, confirmed_at)
               SELECT ?, key1, '', 'DEACTIVATED', ? ${items}${notExcepted}
               ON CONFLICT (identity_source_id, external_id) DO UPDATE
               SET status = 'DEACTIVATED', confirmed_at = excluded.confirmed_at${notNewer}`,
              [source, confirmedAt, ...range, ...exceptUsers, ...newerParams],
            );
            break;
          case 'GROUP_UPSERT':
            await tx.run(
              `INSERT INTO confirmed_groups (identity_source_id, external_id, fingerprint, confirmed_at)
               SELECT ?, key1, fingerprint, ? ${items}
               ON CONFLICT (identity_source_id, external_id) DO UPDATE
               SET fingerprint = excluded.fingerprint, confirmed_at = excluded.confirmed_at`,
              [source, confirmedAt, ...range],
            );
            break;
          case 'GROUP_DELETE':
            // Deleting a group in Okta takes its memberships with it.
            await tx.run(
              `DELETE FROM confirmed_memberships WHERE identity_source_id = ? AND group_external_id IN (SELECT key1 ${items})`,
              [source, ...range],
            );
            await tx.run(
              `DELETE FROM confirmed_groups WHERE identity_source_id = ? AND external_id IN (SELECT key1 ${items})`,
              [source, ...range],
            );
            break;
          case 'MEMBERSHIP_UPSERT':
            await tx.run(
              `INSERT INTO confirmed_memberships (identity_source_id, group_external_id, member_external_id, confirmed_at)
               SELECT ?, key1, key2, ? ${items}
               ON CONFLICT (identity_source_id, group_external_id, member_external_id) DO UPDATE
               SET confirmed_at = excluded.confirmed_at`,
              [source, confirmedAt, ...range],
            );
            break;
          case 'MEMBERSHIP_DELETE':
            await tx.run(
              `DELETE FROM confirmed_memberships WHERE identity_source_id = ?
               AND EXISTS (SELECT 1 ${items} AND key1 = confirmed_memberships.group_external_id AND key2 = confirmed_memberships.member_external_id)`,
              [source, ...range],
            );
            break;
          default:
            throw new Error(`plan ${planId}: request ${r.request_index} has unknown operation ${r.operation}`);
        }
        await tx.run('UPDATE push_requests SET confirmed_at = ? WHERE plan_id = ? AND request_index = ?', [
          confirmedAt,
          planId,
          Number(r.request_index),
        ]);
      }
    });
  }

  async countConfirmedRequests(planId: string): Promise<number> {
    const [row] = await this.#db.all<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM push_requests WHERE plan_id = ? AND confirmed_at IS NOT NULL',
      [planId],
    );
    return Number(row?.n ?? 0);
  }

  async readItemTexts(planId: string, operation: BulkOperation, from: number, count: number): Promise<string[]> {
    const rows = await this.#db.all<{ data: string }>(
      'SELECT data FROM plan_items WHERE plan_id = ? AND operation = ? AND item_index >= ? AND item_index < ? ORDER BY item_index',
      [planId, operation, from, from + count],
    );
    return rows.map((r) => r.data);
  }

  async recordUploadsAccepted(
    planId: string,
    oktaSessionId: string,
    requestIndexes: number[],
    acceptedAt: string,
  ): Promise<void> {
    for (const batch of batches(requestIndexes, 200)) {
      const params: SqlValue[] = [];
      for (const index of batch) params.push(oktaSessionId, index, planId, acceptedAt);
      await this.#db.run(
        `INSERT INTO push_uploads (okta_session_id, request_index, plan_id, accepted_at) VALUES ${batch.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (okta_session_id, request_index) DO NOTHING`,
        params,
      );
    }
  }

  async acceptedUploads(oktaSessionId: string): Promise<number[]> {
    const rows = await this.#db.all<{ request_index: number | string }>(
      'SELECT request_index FROM push_uploads WHERE okta_session_id = ? ORDER BY request_index',
      [oktaSessionId],
    );
    return rows.map((r) => Number(r.request_index));
  }

  async recordImportTime(identitySourceId: string, time: ImportTime, learnedAt: string): Promise<void> {
    await this.#db.run(
      `INSERT INTO import_times (identity_source_id, ms_per_record, records, learned_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (identity_source_id) DO UPDATE SET ms_per_record = excluded.ms_per_record, records = excluded.records, learned_at = excluded.learned_at`,
      [identitySourceId, time.msPerRecord, time.records, learnedAt],
    );
  }

  async lastImportTime(identitySourceId: string): Promise<ImportTime | undefined> {
    const [row] = await this.#db.all<{ ms_per_record: number | string; records: number | string }>(
      'SELECT ms_per_record, records FROM import_times WHERE identity_source_id = ?',
      [identitySourceId],
    );
    return row && { msPerRecord: Number(row.ms_per_record), records: Number(row.records) };
  }

  async *streamConfirmedUsers(identitySourceId: string): AsyncIterable<ConfirmedUser> {
    let after = '';
    for (;;) {
      const rows = await this.#db.all<Row>(
        'SELECT external_id, fingerprint, status, confirmed_at, profile FROM confirmed_users WHERE identity_source_id = ? AND external_id > ? ORDER BY external_id LIMIT ?',
        [identitySourceId, after, PAGE],
      );
      for (const row of rows) yield toConfirmedUser(row);
      if (rows.length < PAGE) return;
      after = String(rows.at(-1)!.external_id);
    }
  }

  async getConfirmedUser(identitySourceId: string, externalId: string): Promise<ConfirmedUser | undefined> {
    const [row] = await this.#db.all<Row>(
      'SELECT external_id, fingerprint, status, confirmed_at, profile FROM confirmed_users WHERE identity_source_id = ? AND external_id = ?',
      [identitySourceId, externalId],
    );
    return row && toConfirmedUser(row);
  }

  async getConfirmedUsers(identitySourceId: string, externalIds: string[]): Promise<Map<string, ConfirmedUser>> {
    const users = new Map<string, ConfirmedUser>();
    for (let at = 0; at < externalIds.length; at += SAVE_BATCH) {
      const batch = externalIds.slice(at, at + SAVE_BATCH);
      const rows = await this.#db.all<Row>(
        `SELECT external_id, fingerprint, status, confirmed_at, profile FROM confirmed_users
         WHERE identity_source_id = ? AND external_id IN (${placeholders(batch)})`,
        [identitySourceId, ...batch],
      );
      for (const row of rows) {
        const user = toConfirmedUser(row);
        users.set(user.externalId, user);
      }
    }
    return users;
  }

  async confirmPeople(identitySourceId: string, people: ConfirmedPerson[], confirmedAt: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const person of people) {
        if (person.status === 'ACTIVE') {
          await tx.run(
            `INSERT INTO confirmed_users (identity_source_id, external_id, fingerprint, status, confirmed_at, profile)
             VALUES (?, ?, ?, 'ACTIVE', ?, ?)
             ON CONFLICT (identity_source_id, external_id) DO UPDATE
             SET fingerprint = excluded.fingerprint, status = 'ACTIVE', confirmed_at = excluded.confirmed_at,
               profile = excluded.profile`,
            [identitySourceId, person.externalId, person.fingerprint, confirmedAt, JSON.stringify(person.profile)],
          );
        } else {
          await tx.run(
            `INSERT INTO confirmed_users (identity_source_id, external_id, fingerprint, status, confirmed_at)
             VALUES (?, ?, '', 'DEACTIVATED', ?)
             ON CONFLICT (identity_source_id, external_id) DO UPDATE
             SET status = 'DEACTIVATED', confirmed_at = excluded.confirmed_at`,
            [identitySourceId, person.externalId, confirmedAt],
          );
        }
      }
    });
  }

  async countDeactivatedSince(identitySourceId: string, since: string): Promise<number> {
    const [row] = await this.#db.all<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM confirmed_users WHERE identity_source_id = ? AND status = 'DEACTIVATED' AND confirmed_at >= ?",
      [identitySourceId, since],
    );
    return Number(row?.n ?? 0);
  }

  async markUsersUnconfirmed(identitySourceId: string, externalIds: string[]): Promise<number> {
    let changed = 0;
    for (let at = 0; at < externalIds.length; at += SAVE_BATCH) {
      const batch = externalIds.slice(at, at + SAVE_BATCH);
      changed += await this.#db.run(
        `UPDATE confirmed_users SET fingerprint = '', status = 'ACTIVE'
         WHERE identity_source_id = ? AND external_id IN (${placeholders(batch)})`,
        [identitySourceId, ...batch],
      );
    }
    return changed;
  }

  async countConfirmedUsers(identitySourceId: string): Promise<{ active: number; deactivated: number }> {
    const rows = await this.#db.all<{ status: string; n: number | string }>(
      'SELECT status, COUNT(*) AS n FROM confirmed_users WHERE identity_source_id = ? GROUP BY status',
      [identitySourceId],
    );
    const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return { active: count('ACTIVE'), deactivated: count('DEACTIVATED') };
  }

  async *streamConfirmedGroups(identitySourceId: string): AsyncIterable<ConfirmedGroup> {
    let after = '';
    for (;;) {
      const rows = await this.#db.all<Row>(
        'SELECT external_id, fingerprint, confirmed_at FROM confirmed_groups WHERE identity_source_id = ? AND external_id > ? ORDER BY external_id LIMIT ?',
        [identitySourceId, after, PAGE],
      );
      for (const row of rows) {
        yield {
          externalId: String(row.external_id),
          fingerprint: String(row.fingerprint),
          confirmedAt: String(row.confirmed_at),
        };
      }
      if (rows.length < PAGE) return;
      after = String(rows.at(-1)!.external_id);
    }
  }

  async *streamConfirmedMemberships(identitySourceId: string): AsyncIterable<PlannedMembership> {
    let afterGroup = '';
    let afterMember = '';
    for (;;) {
      const rows = await this.#db.all<Row>(
        `SELECT group_external_id, member_external_id FROM confirmed_memberships
         WHERE identity_source_id = ? AND (group_external_id > ? OR (group_external_id = ? AND member_external_id > ?))
         ORDER BY group_external_id, member_external_id LIMIT ?`,
        [identitySourceId, afterGroup, afterGroup, afterMember, PAGE],
      );
      for (const row of rows) {
        yield { groupExternalId: String(row.group_external_id), memberExternalId: String(row.member_external_id) };
      }
      if (rows.length < PAGE) return;
      afterGroup = String(rows.at(-1)!.group_external_id);
      afterMember = String(rows.at(-1)!.member_external_id);
    }
  }

  async recordSessionOpened(record: Omit<SessionRecord, 'updatedAt' | 'status'>): Promise<void> {
    // Recording the same opening twice (a retried activity) is harmless.
    await this.#db.run(
      `INSERT INTO okta_sessions (okta_session_id, identity_source_id, plan_id, session_index, workflow_id, run_id, status, opened_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'CREATED', ?, ?) ON CONFLICT (okta_session_id) DO NOTHING`,
      [
        record.oktaSessionId,
        record.identitySourceId,
        record.planId,
        record.sessionIndex,
        record.workflowId,
        record.runId,
        record.openedAt,
        record.openedAt,
      ],
    );
  }

  async recordSessionStatus(oktaSessionId: string, status: string): Promise<void> {
    const changed = await this.#db.run(
      'UPDATE okta_sessions SET status = ?, updated_at = ? WHERE okta_session_id = ?',
      [status, new Date().toISOString(), oktaSessionId],
    );
    if (changed === 0) throw new Error(`no recorded Okta session ${oktaSessionId}`);
  }

  async getSession(oktaSessionId: string): Promise<SessionRecord | undefined> {
    const [row] = await this.#db.all<SessionRow>('SELECT * FROM okta_sessions WHERE okta_session_id = ?', [
      oktaSessionId,
    ]);
    return row && toSession(row);
  }

  async findPlanSession(planId: string, sessionIndex: number): Promise<SessionRecord | undefined> {
    const [row] = await this.#db.all<SessionRow>(
      'SELECT * FROM okta_sessions WHERE plan_id = ? AND session_index = ? ORDER BY opened_at DESC, okta_session_id DESC LIMIT 1',
      [planId, sessionIndex],
    );
    return row && toSession(row);
  }

  async plannedUpserts(planId: string, externalIds: string[]): Promise<string[]> {
    const upserted: string[] = [];
    for (let at = 0; at < externalIds.length; at += SAVE_BATCH) {
      const batch = externalIds.slice(at, at + SAVE_BATCH);
      const rows = await this.#db.all<{ key1: string }>(
        `SELECT key1 FROM plan_items WHERE plan_id = ? AND operation = 'USER_UPSERT' AND key1 IN (${placeholders(batch)})`,
        [planId, ...batch],
      );
      upserted.push(...rows.map((r) => String(r.key1)));
    }
    return upserted;
  }

  async openSessions(identitySourceId: string): Promise<SessionRecord[]> {
    const rows = await this.#db.all<SessionRow>(
      `SELECT * FROM okta_sessions WHERE identity_source_id = ? AND status IN (${placeholders(OPEN_SESSION_STATUSES)})
       ORDER BY opened_at, okta_session_id`,
      [identitySourceId, ...OPEN_SESSION_STATUSES],
    );
    return rows.map(toSession);
  }

  async recordHrEvents(
    events: Pick<StoredHrEvent, keyof HrEvent | 'receivedAt'>[],
  ): Promise<{ isNew: boolean; handedOff: boolean }[]> {
    return this.#db.transaction(async (tx) => {
      const outcomes: { isNew: boolean; handedOff: boolean }[] = [];
      for (const event of events) {
        const inserted = await tx.run(
          `INSERT INTO hr_events (event_id, identity_source_id, type, external_id, record_json, occurred_at, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
          [
            event.eventId,
            event.identitySourceId,
            event.type,
            event.externalId,
            event.record === undefined ? null : JSON.stringify(event.record),
            event.occurredAt,
            event.receivedAt,
          ],
        );
        if (inserted > 0) {
          outcomes.push({ isNew: true, handedOff: false });
          continue;
        }
        const [row] = await tx.all<{ handed_off_at: string | null }>(
          'SELECT handed_off_at FROM hr_events WHERE event_id = ?',
          [event.eventId],
        );
        outcomes.push({ isNew: false, handedOff: row?.handed_off_at != null });
      }
      return outcomes;
    });
  }

  async markHrEventsHandedOff(eventIds: string[], handedOffAt: string): Promise<void> {
    for (const batch of batches(eventIds)) {
      await this.#db.run(
        `UPDATE hr_events SET handed_off_at = ? WHERE handed_off_at IS NULL AND event_id IN (${placeholders(batch)})`,
        [handedOffAt, ...batch],
      );
    }
  }

  async pendingHrEvents(identitySourceId: string, retainAppliedSince?: string): Promise<StoredHrEvent[]> {
    const rows = await this.#db.all<HrEventRow>(
      `SELECT e.* FROM hr_events e LEFT JOIN plans p ON p.plan_id = e.consumed_by_plan
       WHERE e.identity_source_id = ? AND (p.status IS NULL OR p.status <> 'applied' OR e.received_at >= ?)
       ORDER BY e.occurred_at, e.received_at, e.event_id`,
      [identitySourceId, retainAppliedSince ?? '9999'],
    );
    return rows.map(toHrEvent);
  }

  async markHrEventsConsumed(eventIds: string[], planId: string): Promise<void> {
    for (const batch of batches(eventIds)) {
      await this.#db.run(`UPDATE hr_events SET consumed_by_plan = ? WHERE event_id IN (${placeholders(batch)})`, [
        planId,
        ...batch,
      ]);
    }
  }
}

interface HrEventRow extends Row {
  event_id: string;
  identity_source_id: string;
  type: string;
  external_id: string;
  record_json: string | null;
  occurred_at: string;
  received_at: string;
  handed_off_at: string | null;
  consumed_by_plan: string | null;
}

function toHrEvent(row: HrEventRow): StoredHrEvent {
  const event: StoredHrEvent = {
    eventId: row.event_id,
    identitySourceId: row.identity_source_id,
    type: row.type as HrEventType,
    externalId: row.external_id,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
  };
  if (row.record_json !== null) event.record = JSON.parse(row.record_json) as Record<string, unknown>;
  if (row.handed_off_at !== null) event.handedOffAt = row.handed_off_at;
  if (row.consumed_by_plan !== null) event.consumedByPlan = row.consumed_by_plan;
  return event;
}

/** Keeps `IN (…)` lists well under both databases' parameter limits. */
function* batches<T>(items: T[], size = 500): Iterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

async function readLayout(db: SqlExecutor, planId: string): Promise<PushRequest[]> {
  const rows = await db.all<RequestRow>('SELECT * FROM push_requests WHERE plan_id = ? ORDER BY request_index', [
    planId,
  ]);
  return rows.map((r) => ({
    index: Number(r.request_index),
    sessionIndex: Number(r.session_index),
    operation: r.operation as BulkOperation,
    firstItem: Number(r.first_item),
    itemCount: Number(r.item_count),
    bytes: Number(r.bytes),
  }));
}

function toHeader(row: PlanRow): PlanHeader {
  const header: PlanHeader = {
    planId: row.plan_id,
    identitySourceId: row.identity_source_id,
    mode: row.mode as PlanHeader['mode'],
    status: row.status as PlanStatus,
    createdAt: row.created_at,
    counts: JSON.parse(row.counts) as PlanCounts,
  };
  if (row.report !== null) header.report = JSON.parse(row.report) as unknown;
  if (row.source !== null) header.source = JSON.parse(row.source) as SourceSnapshot;
  return header;
}

function toConfirmedUser(row: Row): ConfirmedUser {
  const user: ConfirmedUser = {
    externalId: String(row.external_id),
    fingerprint: String(row.fingerprint),
    status: row.status as ConfirmedUser['status'],
    confirmedAt: String(row.confirmed_at),
  };
  if (typeof row.profile === 'string') user.profile = JSON.parse(row.profile) as UpsertProfile;
  return user;
}

function toSession(row: SessionRow): SessionRecord {
  return {
    identitySourceId: row.identity_source_id,
    oktaSessionId: row.okta_session_id,
    planId: row.plan_id,
    sessionIndex: Number(row.session_index),
    workflowId: row.workflow_id,
    runId: row.run_id,
    status: row.status,
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
  };
}

/** One `?` a value, for an IN list. */
function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}
