import type { Logger } from './logger';

type Teardown = () => unknown | Promise<unknown>;

/**
 * A stack of teardown steps. Register each where its resource is created; `run()` closes them
 * in reverse, so workers close before Redis and the ORM they use.
 */
export class Shutdown {
  private readonly steps: Teardown[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly log?: Logger) {}

  defer(step: Teardown): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length) {
        const step = this.steps.pop()!;
        try {
          await step();
        } catch (err) {
          this.log?.error({ err }, 'shutdown step failed');
        }
      }
    })();
    return this.running;
  }

  /** SIGINT/SIGTERM run the stack once, then exit. */
  installSignalHandlers(): void {
    const stop = (signal: NodeJS.Signals) => {
      this.log?.info({ signal }, 'shutting down');
      void this.run().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
}
