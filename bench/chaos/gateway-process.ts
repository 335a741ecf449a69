// The built gateway (`node dist/src/main.js`, as `npm start` runs it) as a child process that can be
// SIGKILLed and started again on the same port and database, the way a crashed instance comes back.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const READY = /ready: (http:\/\/\S+)/;

export class GatewayProcess {
  private child: ChildProcess | null = null;
  private output: string[] = [];
  /** Lines the server logged at error level (pino level 50+): unexpected errors. */
  readonly errorLines: string[] = [];
  /** Exits nobody asked for (not kill() or stop()), with the last lines the server printed. */
  readonly crashes: string[] = [];
  starts = 0;
  private exitExpected = false;

  constructor(
    private readonly port: number,
    private readonly env: Record<string, string>,
    private readonly root = projectRoot(),
    /** Extra node flags for the server, e.g. --cpu-prof to profile it under load. */
    private readonly nodeArgs: string[] = [],
  ) {}

  /** The server's process id, for reading its memory (undefined before start). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, [...this.nodeArgs, 'dist/src/main.js'], {
      cwd: this.root,
      env: { ...process.env, ...this.env, PORT: String(this.port) },
    });
    this.child = child;
    this.starts++;
    this.exitExpected = false;
    // An unhandled 'error' event or exception kills the process: that is a crash, never a way to fail.
    child.once('exit', (code, signal) => {
      if (!this.exitExpected) this.crashes.push(`exited (${code ?? signal}) on its own; its last words:\n${this.tail(200, 400)}`);
    });
    let seen = '';
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`the gateway did not start in ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      const onData = (d: Buffer) => {
        const text = d.toString();
        seen += text;
        this.remember(text);
        if (READY.test(seen)) {
          clearTimeout(timer);
          ok();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`the gateway exited (${code ?? signal}) while starting:\n${this.tail()}`));
      });
    });
  }

  /** SIGKILL: no drain, no pool shutdown, in-flight requests and transactions cut wherever they are. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM, the graceful way; SIGKILL if it does not exit within 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.signal('SIGTERM');
    clearTimeout(forced);
  }

  tail(lines = 40, width = Infinity): string {
    return this.output
      .slice(-lines)
      .map((l) => (l.length > width ? `${l.slice(0, width)}…` : l))
      .join('\n');
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    this.exitExpected = true;
    return new Promise((ok) => {
      child.once('exit', () => ok());
      child.kill(signal);
    });
  }

  private remember(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      this.output.push(line);
      if (/"level":(5\d|60)/.test(line)) this.errorLines.push(line);
    }
    if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
  }
}

/** The directory holding package.json, whether this runs from bench/ (vitest) or dist/bench/ (tsc). */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(resolve(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above ' + __dirname);
    dir = up;
  }
  return dir;
}
