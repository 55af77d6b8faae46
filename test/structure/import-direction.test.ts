import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Imports run one way: cli -> client / worker -> workflows / activities -> contracts. dependency-cruiser reads every
 * source file (type-only imports included: a type import is an arrow too) and this asserts each rule on its own, so a
 * failure names the rule and the arrows that break it.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The project's source folders: everything that ships, not tests, benchmarks or chaos trials. */
const SOURCES = [
  'activities',
  'cli',
  'client',
  'codec',
  'config',
  'connection',
  'contracts',
  'local-stack',
  'observability',
  'okta-emulator',
  'scripts',
  'worker',
  'workflows',
];

const RULES: (IForbiddenRuleType & { name: string })[] = [
  {
    name: 'activities-not-into-workflows',
    comment: 'activities take their contracts from contracts/, never from a workflow file',
    from: { path: '^activities/' },
    to: { path: '^workflows/' },
  },
  {
    name: 'contracts-import-no-layer',
    comment: 'contracts/ is the neutral bottom: it imports no workflow, activity, client, worker or CLI code',
    from: { path: '^contracts/' },
    to: { path: '^(workflows|activities|client|worker|cli)/' },
  },
  { name: 'worker-not-into-client', from: { path: '^worker/' }, to: { path: '^client/' } },
  { name: 'client-not-into-worker', from: { path: '^client/' }, to: { path: '^worker/' } },
  { name: 'no-import-loops', from: {}, to: { circular: true } },
  {
    name: 'every-import-resolves',
    comment: 'a relative import with a .ts suffix that the tool cannot find would hide its arrows',
    from: {},
    to: { couldNotResolve: true, dependencyTypesNot: ['core'] },
  },
];

let result: ICruiseResult;

beforeAll(async () => {
  const previous = process.cwd();
  process.chdir(ROOT);
  try {
    const { output } = await cruise(SOURCES, {
      validate: true,
      ruleSet: { forbidden: RULES.map((rule) => ({ severity: 'error', ...rule })) },
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      exclude: { path: '(^|/)node_modules/' },
      // ESM-only packages (got, stream-json) resolve through their `exports` field.
      enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
    });
    result = output as ICruiseResult;
  } finally {
    process.chdir(previous);
  }
}, 120_000);

/** The arrows that break a rule, as `from -> to` (a loop as its whole cycle). */
function violationsOf(rule: string): string[] {
  return result.summary.violations
    .filter((violation) => violation.rule.name === rule)
    .map((violation) =>
      violation.cycle?.length
        ? [violation.from, ...violation.cycle.map((step) => step.name)].join(' -> ')
        : `${violation.from} -> ${violation.to}`,
    )
    .sort();
}

describe('import direction', () => {
  it('reads the source folders and resolves their .ts imports (so the rules below see real arrows)', () => {
    const workflows = result.modules.find((module) => module.source === 'workflows/index.ts');
    expect(workflows?.dependencies.length).toBeGreaterThan(0);
    expect(result.modules.filter((module) => module.source.startsWith('activities/')).length).toBeGreaterThan(20);
    expect(violationsOf('every-import-resolves')).toEqual([]);
  });

  for (const rule of RULES.filter(({ name }) => name !== 'every-import-resolves')) {
    it(`${rule.name}${rule.comment ? `: ${rule.comment}` : ''}`, () => {
      expect(violationsOf(rule.name)).toEqual([]);
    });
  }
});
