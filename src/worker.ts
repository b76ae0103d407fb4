/**
 * Background work a server runs beside its requests (the change listener, the mail relay, the pruners).
 * `serve` starts every worker in the services' list after it listens and stops them when it drains; no
 * other command starts any.
 */
export interface Worker {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}

/**
 * A worker that runs `round` at start and then every `interval` ms, one round at a time; a round that
 * fails is reported to `onFailure` and the next one tries again. `running()` tells a long round that the
 * worker is stopping, so it can end early; `stop` waits for the round in progress.
 */
export function periodicWorker(
  name: string,
  interval: number,
  round: (running: () => boolean) => Promise<unknown>,
  onFailure: (error: unknown) => void,
): Worker {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> | undefined;
  const running = () => timer !== undefined;

  function run(): void {
    current ??= round(running)
      .catch(onFailure)
      .finally(() => {
        current = undefined;
      });
  }

  return {
    name,
    start() {
      timer = setInterval(run, interval);
      timer.unref();
      run();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await current;
    },
  };
}
