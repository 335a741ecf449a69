// What the process has started, stopped in reverse order on SIGINT/SIGTERM or on a failed start.
// The handlers are installed before anything is started: a signal while the embedded PostgreSQL
// is still starting stops it too, rather than killing the process and leaving it running.
import type { Logger } from './logger';

export class Shutdown {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  private readonly aborter = new AbortController();
  private done: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void this.exit(0, signal));
  }

  /** Aborted once stopping has begun: start-up work watching it gives up. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  get stopping(): boolean {
    return this.aborter.signal.aborted;
  }

  /**
   * Starts something and registers how to stop it. Stopping waits for a start still under way and
   * stops what it gave (a start that fails gives nothing: it has undone its own work). Once
   * stopping has begun, nothing more is started.
   */
  track<T>(name: string, start: () => Promise<T>, stop: (started: T) => Promise<void>): Promise<T> {
    if (this.stopping) return Promise.reject(this.signal.reason);
    const starting = start();
    this.steps.push({
      name,
      run: async () => {
        const started = await starting.then(
          (value) => ({ value }),
          () => null,
        );
        if (started) await stop(started.value);
      },
    });
    return starting;
  }

  /** Stops everything (once, however often it is asked), then ends the process with `code`. */
  async exit(code: number, reason: string): Promise<never> {
    if (!this.done) {
      this.logger.info({ reason }, 'shutting down');
      this.aborter.abort(new Error(`stopped by ${reason}`));
      this.done = this.stopAll();
    }
    const failed = await this.done.then(
      () => false,
      () => true,
    );
    process.exit(failed && code === 0 ? 1 : code);
  }

  private async stopAll(): Promise<void> {
    let failed = false;
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
        this.logger.debug(`${step.name} stopped`);
      } catch (err) {
        failed = true;
        this.logger.error({ err }, `stopping ${step.name} failed`);
      }
    }
    if (failed) throw new Error('shutdown failed');
  }
}
