// A second gateway *process* (the built server, as `npm start` runs it) on a test's database.
import { ChildProcess, spawn } from 'node:child_process';

export interface ChildGateway {
  url: string;
  wsUrl: string;
  adminToken: string;
  /** Its exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string>;
  /** Everything it printed. */
  output(): string;
  stop(): Promise<void>;
  /** Ends it with this signal (SIGKILL: no drain, no cleanup) and waits for it to be gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startChildGateway(databaseUrl: string, adminToken: string, env: Record<string, string> = {}): Promise<ChildGateway> {
  const child: ChildProcess = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, ADMIN_TOKEN: adminToken, PORT: '0', SEED_DEMO: 'false', LOG_LEVEL: 'warn', ...env },
  });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child gateway did not start:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d;
      const m = output.match(/ready: (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child gateway exited with ${code}:\n${output}`)));
  });
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    adminToken,
    exited,
    output: () => output,
    stop: () => end('SIGTERM'),
    kill: (signal) => end(signal),
  };
  function end(signal: NodeJS.Signals) {
    return new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
