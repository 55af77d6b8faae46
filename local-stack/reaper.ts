/**
 * Runs one child process and kills it when stdin closes. The parent holds the other end of stdin, so the child
 * dies with the parent however the parent ends, even by SIGKILL. Usage: node reaper.ts <command> [args...]
 */
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: reaper.ts <command> [args...]');
  process.exit(2);
}

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let childExited = false;

function stopChild(): void {
  if (childExited) return;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
}

child.on('exit', (code, signal) => {
  childExited = true;
  process.exit(code ?? (signal ? 1 : 0));
});
child.on('error', (error) => {
  console.error(`reaper: could not start ${command}: ${error.message}`);
  process.exit(127);
});

process.stdin.on('end', stopChild);
process.stdin.on('close', stopChild);
process.stdin.resume();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stopChild);
