import type { Session } from './store/session-repository.ts';
import type { User } from './store/user-repository.ts';

/** Who is asking, as every domain operation a request starts is told: one value, never loose arguments. */
export interface RequestContext {
  /** the request's id, as its log lines and X-Request-Id carry it */
  requestId: string;
  /** the client's address (proxy-aware), which rate limits count and sessions record */
  ip: string;
  userAgent: string | undefined;
}

/** The signed-in caller of a request: a live session of an active user, and the token that proved it. */
export interface Caller {
  user: User;
  session: Session;
  token: string;
}

/** A request whose caller is signed in. */
export interface CallerContext extends RequestContext {
  caller: Caller;
}
