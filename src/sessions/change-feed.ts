import { randomUUID } from 'node:crypto';

/** What one instance tells the others after it revoked a session or changed a user. */
export interface ChangeFeed {
  sessionRevoked(sessionId: string): Promise<void>;
  userChanged(userId: string): Promise<void>;
}

/** What a listening instance does with a change it hears of. */
export interface ChangeHandlers {
  forgetSession(sessionId: string): void;
  forgetUser(userId: string): void;
}

interface Message {
  /** the instance that sent it, which has already acted on it */
  from: string;
  session?: string;
  user?: string;
}

/**
 * Changes as small JSON messages on one channel. Sending never fails the request that caused it: the
 * database change is already committed, and each instance's cache TTL bounds how long a lost message
 * can matter.
 */
export function createChangeFeed(
  publish: (payload: string) => Promise<void>,
  onError: (error: unknown) => void,
) {
  const instanceId = randomUUID();

  async function send(message: Omit<Message, 'from'>): Promise<void> {
    try {
      await publish(JSON.stringify({ from: instanceId, ...message }));
    } catch (error) {
      onError(error);
    }
  }

  const feed: ChangeFeed = {
    sessionRevoked: (sessionId) => send({ session: sessionId }),
    userChanged: (userId) => send({ user: userId }),
  };

  return {
    feed,
    /** Applies a message from the channel; our own and unreadable ones are ignored. */
    receive(payload: string, handlers: ChangeHandlers): void {
      let message: Partial<Message>;
      try {
        message = JSON.parse(payload) as Partial<Message>;
      } catch {
        return;
      }
      if (message.from === instanceId) return;
      if (typeof message.session === 'string') handlers.forgetSession(message.session);
      if (typeof message.user === 'string') handlers.forgetUser(message.user);
    },
  };
}
