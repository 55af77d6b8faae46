/**
 * Builds the Temporal CLI from its Go modules, showing where the build is: the one slow step of a first start on a
 * machine without the CLI (a few minutes, once; later starts reuse the binary).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

export interface CliBuild {
  go: string;
  version: string;
  binDir: string;
  /** One line at a time, for a log or a terminal that cannot rewrite a line. */
  log: (line: string) => void;
  /** Where the ticking progress line goes; a line is rewritten in place only when this is a terminal. */
  progress?: NodeJS.WriteStream;
}

const MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** How often a progress line is printed when the line cannot be rewritten in place. */
const PLAIN_PROGRESS_EVERY_MS = 20_000;

/** `go install` of the CLI: stripped (-s -w), reproducible paths, one compile per core. */
function installArgs(version: string, extra: string[]): string[] {
  return [
    'install',
    ...extra,
    '-trimpath',
    '-p',
    String(availableParallelism()),
    '-ldflags',
    `-s -w -X github.com/temporalio/cli/temporalcli.Version=${version}`,
    `${MODULE}@v${version}`,
  ];
}

/**
 * Two passes: a dry run (`-n`) that downloads the modules and lists the packages still to compile (a warm Go build
 * cache leaves few), then the build (`-v` names each package as it is compiled), so the line can say "k of n".
 */
export async function buildTemporalCli(build: CliBuild): Promise<void> {
  const started = Date.now();
  const env = { ...process.env, GOBIN: build.binDir, CGO_ENABLED: '0' };
  const ticker = progressLine(build, started);
  try {
    let downloaded = 0;
    ticker.set('downloading Go modules');
    let toCompile = 0;
    await runGo(build.go, installArgs(build.version, ['-n']), env, (line) => {
      if (line.startsWith('go: downloading ')) ticker.set(`downloading Go modules (${++downloaded})`);
      else if (/^# [^\s]+$/.test(line)) toCompile++;
    });
    if (downloaded > 0) build.log(`  downloaded ${downloaded} Go modules in ${elapsed(started)}`);
    let compiled = 0;
    ticker.set(`compiling 0 of ${toCompile} packages`);
    await runGo(build.go, installArgs(build.version, ['-v']), env, (line) => {
      if (line.startsWith('go: ') || line.includes(' ')) return;
      compiled++;
      ticker.set(
        line === MODULE || compiled >= toCompile ? 'linking' : `compiling ${compiled} of ${toCompile} packages`,
      );
    });
  } finally {
    ticker.stop();
  }
  build.log(`  built in ${elapsed(started)}`);
}

function runGo(go: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const tail: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => {
      tail.push(line);
      tail.splice(0, tail.length - 20);
      onLine(line);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`go ${args.slice(0, 2).join(' ')}… failed (exit ${code}):\n${tail.join('\n')}`));
    });
  });
}

/** A line with the elapsed time and the current step: rewritten each second on a terminal, else every 20 s. */
function progressLine(build: CliBuild, started: number): { set(step: string): void; stop(): void } {
  const tty = build.progress?.isTTY === true ? build.progress : undefined;
  let step = '';
  let lastPlain = 0;
  const render = () => {
    const text = `  [${elapsed(started)}] ${step}`;
    if (tty) tty.write(`\r${text.padEnd(Math.min(tty.columns ?? 80, 100) - 1)}`);
    else if (Date.now() - lastPlain >= PLAIN_PROGRESS_EVERY_MS) {
      lastPlain = Date.now();
      build.log(text);
    }
  };
  const timer = setInterval(render, 1_000);
  return {
    set(next) {
      const changedPhase = next.split(' ')[0] !== step.split(' ')[0];
      step = next;
      if (changedPhase) lastPlain = 0;
      render();
    },
    stop() {
      clearInterval(timer);
      if (tty) tty.write('\n');
    },
  };
}

function elapsed(since: number): string {
  const seconds = Math.round((Date.now() - since) / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
