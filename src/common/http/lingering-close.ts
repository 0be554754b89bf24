import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';

/** How long a connection closing after an early answer goes on reading what its client still sends. */
export const LINGER_MS = 10_000;

const lingering = new WeakSet<Socket>();

/**
 * An answer given before its request's body has arrived (413 for a body over the limit, a refusal
 * by a request hook) on a connection that then closes (Fastify closes it after a body it refuses,
 * or the client asked): Node would close the socket as soon as the answer is written, with the rest
 * of the body unread, and the kernel answers bytes that arrive after that with a reset. A client
 * that reads its answer only once it has sent the body (most do) gets the reset instead of the
 * answer. So the connection closes the way HTTP servers call a lingering close: the answer, then
 * our end of the connection (FIN), then whatever the client still sends is read and thrown away
 * until it closes its end, for LINGER_MS at most.
 */
export function lingerAfterEarlyAnswers(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, _reply, payload) => {
    if (!request.raw.complete) lingerOnClose(request.raw.socket);
    return payload;
  });
}

/** Node's HTTP server ends a connection it will not keep with `destroySoon()`: this one lingers instead. */
function lingerOnClose(socket: Socket): void {
  if (lingering.has(socket)) return;
  lingering.add(socket);
  socket.destroySoon = () => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(timer));
    // What the client still sends goes on through Node's parser, which discards the rest of the body; its end closes the socket.
    socket.once('end', () => socket.destroy());
    socket.end();
  };
}
