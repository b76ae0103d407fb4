/**
 * Background work a server runs beside its requests (the change listener, soon the mail relay). `serve`
 * starts every worker in the services' list after it listens and stops them when it drains; no other
 * command starts any.
 */
export interface Worker {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}
