// A built entry point (the server, a job script) run as `npm start` / `npm run …` run it: a child
// process whose output is collected, awaited for a line or for its exit.
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export class StartedProcess {
  readonly child: ChildProcess;
  output = '';
  /** Exit code, or the signal's name when a signal ended it. */
  readonly exited: Promise<number | string>;

  constructor(script: string, env: NodeJS.ProcessEnv, cwd?: string) {
    this.child = spawn(process.execPath, [script], { env, cwd });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  }

  /** The first match of `pattern` in the output; rejects if the process exits or `ms` pass first. */
  waitFor(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${pattern}; output:\n${this.output}`)), ms);
      const check = () => {
        const m = this.output.match(pattern);
        if (m) finish(null, m);
      };
      const exited = () => setImmediate(() => finish(new Error(`exited before ${pattern}; output:\n${this.output}`)));
      const finish = (err: Error | null, m?: RegExpMatchArray) => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
        this.child.stderr!.off('data', check);
        this.child.off('exit', exited);
        if (err) reject(err);
        else resolve(m!);
      };
      this.child.stdout!.on('data', check);
      this.child.stderr!.on('data', check);
      this.child.once('exit', exited);
      check();
    });
  }

  /** The exit code, or a rejection naming the output if the process is still running after `ms`. */
  exitWithin(ms: number): Promise<number | string> {
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms; output:\n${this.output}`)), ms).unref()),
    ]);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** PostgreSQL server processes (postmasters and their children) running on a cluster directory. */
export function postgresProcessesOn(clusterDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('/postgres') && args.includes(clusterDir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
