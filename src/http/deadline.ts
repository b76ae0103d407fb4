import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';
import type { GatehouseApp } from './app-type.ts';

interface Pending {
  reply: FastifyReply;
  timer: NodeJS.Timeout;
  /** epoch ms at which the deadline answers */
  due: number;
}

export interface Deadlines {
  /** Brings every deadline later than `due` (epoch ms) forward to it: a drain ends before its time does. */
  bringForward(due: number): void;
}

/**
 * RESPONSE_TIMEOUT: a request not answered `timeout` ms after its headers arrived is answered by its
 * deadline — 503 `response_timeout`, or 408 `request_timeout` while its body is still arriving — and
 * abandoned: whatever its handler later sends, returns or throws goes nowhere (Fastify would otherwise log
 * a second send as a warning with a stack, and a late rejection as an error).
 */
export function answerWithinDeadline(
  app: GatehouseApp,
  options: {
    timeout: number;
    /** answers the failure in the request's dialect */
    answer: (failure: GatehouseError, request: FastifyRequest, reply: FastifyReply) => void;
  },
): Deadlines {
  const pending = new Map<FastifyRequest, Pending>();
  const abandoned = new WeakSet<FastifyRequest>();

  const settle = (request: FastifyRequest) => {
    const entry = pending.get(request);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    pending.delete(request);
  };

  const expire = (request: FastifyRequest, reply: FastifyReply) => {
    pending.delete(request);
    if (reply.sent) return;
    // an answer already under way cannot be replaced; cutting it is all that is left
    if (reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    abandoned.add(request);
    // Node's `complete`: the whole body has come; an injected request has no such flag, and has all of it
    const receiving = Object.hasOwn(request.raw, 'complete') && !request.raw.complete;
    request.log.warn(
      { timeoutMs: options.timeout, receiving },
      receiving ? 'request body not received in time' : 'no answer in time; work abandoned',
    );
    const failure = receiving
      ? new GatehouseError('request_timeout', 'request body not received in time')
      : new GatehouseError('response_timeout', 'no answer in time');
    // the rest of a body still arriving will not be read: the connection cannot carry another request
    if (receiving) reply.header('connection', 'close');
    options.answer(failure, request, reply);
    // the abandoned work still holds this reply; what it sends later must go nowhere
    Object.defineProperty(reply, 'send', { value: () => reply });
  };

  const arm = (request: FastifyRequest, reply: FastifyReply, due: number) => {
    const timer = setTimeout(() => {
      expire(request, reply);
    }, due - Date.now());
    pending.set(request, { reply, timer, due });
  };

  app.addHook('onRequest', async (request, reply) => {
    arm(request, reply, Date.now() + options.timeout);
    // whatever ends the exchange, an answer or a client gone, ends its deadline
    reply.raw.once('close', () => {
      settle(request);
    });
  });
  // an answer on its way (through the onSend hooks) is not to be overtaken by the deadline's
  app.addHook('onSend', (request, _reply, payload, done) => {
    settle(request);
    done(null, payload);
  });

  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = async function (this: ThisParameterType<typeof handler>, request, reply) {
      try {
        const answer: unknown = await handler.call(this, request, reply);
        return abandoned.has(request) ? undefined : answer;
      } catch (error) {
        if (!abandoned.has(request)) throw error;
        request.log.debug('abandoned work ended in an error');
        return undefined;
      }
    };
  });

  return {
    bringForward(due) {
      for (const [request, entry] of pending) {
        if (entry.due <= due) continue;
        clearTimeout(entry.timer);
        arm(request, entry.reply, due);
      }
    },
  };
}
