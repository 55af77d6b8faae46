// Fault injection: scripted faults at an exact request ("the 3rd bulk-upsert answers 503") and random ones from a
// seeded generator, so that a failing test reproduces.
import type { SessionRecord } from './org.ts';
import type { EndpointName, FaultSettings } from './options.ts';

export interface FaultDecision {
  latencyMs: number;
  respond?: number;
  resetInMs?: number;
  drop?: boolean;
  /** Apply the request before answering with the fault (or dropping). */
  applyFirst: boolean;
  origin: 'script' | 'random';
}

const SERVER_ERRORS = [500, 502, 503, 504];

export class FaultInjector {
  private settings: FaultSettings = {};
  private random: () => number = Math.random;
  private readonly counts = new Map<string, number>();
  private importsProcessed = 0;

  constructor(settings: FaultSettings = {}) {
    this.set(settings);
  }

  /** Replaces every fault; request and import counts start again from zero. */
  set(settings: FaultSettings): void {
    this.settings = structuredClone(settings);
    this.random = mulberry32(settings.seed ?? 1);
    this.counts.clear();
    this.importsProcessed = 0;
  }

  get(): FaultSettings & { counts: Record<string, number>; importsProcessed: number } {
    return {
      ...structuredClone(this.settings),
      counts: Object.fromEntries(this.counts),
      importsProcessed: this.importsProcessed,
    };
  }

  /** Counts a request to `endpoint` and says what fault, if any, it meets. */
  decide(endpoint: EndpointName): FaultDecision | undefined {
    const nth = (this.counts.get(endpoint) ?? 0) + 1;
    this.counts.set(endpoint, nth);
    const scripted = this.settings.script?.find((f) => f.endpoint === endpoint && f.nth === nth);
    if (scripted) {
      return {
        latencyMs: scripted.latencyMs ?? 0,
        respond: scripted.respond,
        resetInMs: scripted.resetInMs,
        drop: scripted.action === 'drop',
        applyFirst: scripted.applyBeforeDrop ?? false,
        origin: 'script',
      };
    }
    const { errorRate = 0, rateLimitBurstRate = 0, dropRate = 0, latencyMs, endpoints } = this.settings;
    const eligible = endpoints ? endpoints.includes(endpoint) : endpoint !== 'token';
    if (!eligible) return undefined;
    const latency = latencyMs ? latencyMs.min + this.random() * Math.max(0, latencyMs.max - latencyMs.min) : 0;
    const roll = this.random();
    let decision: FaultDecision | undefined;
    if (roll < dropRate) {
      decision = {
        latencyMs: latency,
        drop: true,
        applyFirst: this.settings.applyBeforeDrop ?? false,
        origin: 'random',
      };
    } else if (roll < dropRate + errorRate) {
      const status = SERVER_ERRORS[Math.floor(this.random() * SERVER_ERRORS.length)] ?? 500;
      decision = { latencyMs: latency, respond: status, applyFirst: false, origin: 'random' };
    } else if (roll < dropRate + errorRate + rateLimitBurstRate) {
      decision = { latencyMs: latency, respond: 429, applyFirst: false, origin: 'random' };
    }
    return decision ?? (latency > 0 ? { latencyMs: latency, applyFirst: false, origin: 'random' } : undefined);
  }

  /** The outcome injected for the session that finishes processing now, if any. */
  readonly decideImportOutcome = (session: SessionRecord): 'COMPLETED' | 'ERROR' | undefined => {
    this.importsProcessed++;
    const nth = this.importsProcessed;
    return this.settings.importOutcome?.find(
      (f) => f.nth === nth && (f.identitySourceId === undefined || f.identitySourceId === session.identitySourceId),
    )?.status;
  };

  /** Why Okta refuses this record when processing a session of `identitySourceId`, if a test said it should. */
  readonly refusal = (identitySourceId: string, entityType: 'USER' | 'GROUP', externalId: string): string | undefined =>
    this.settings.refuseAtImport?.find(
      (r) =>
        r.externalId === externalId &&
        (r.entityType ?? 'USER') === entityType &&
        (r.identitySourceId === undefined || r.identitySourceId === identitySourceId),
    )?.reason;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same faults. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
