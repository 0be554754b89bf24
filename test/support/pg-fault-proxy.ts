import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Where a connection is cut, once the transaction that touched the marker gets there. */
export type CommitFault =
  /** The COMMIT reaches PostgreSQL, which commits; its answer never reaches the service. */
  | 'answer-lost'
  /** The COMMIT never reaches PostgreSQL, which rolls the transaction back when the connection goes. */
  | 'commit-lost'
  /** The connection breaks at the first statement after the marker, before any COMMIT is sent. */
  | 'before-commit';

/**
 * A TCP proxy between the service and PostgreSQL that reads the client's side of the protocol
 * (typed messages: a byte, then a length that counts itself) and, when armed, breaks one connection
 * at a chosen point of the transaction whose statements carry `marker` (a value bound as a
 * parameter or written in the text): a real lost connection, seen by a real server.
 */
export class PgFaultProxy {
  private armed: { fault: CommitFault; marker: Buffer } | undefined;
  private readonly sockets = new Set<Socket>();
  /** How many times an armed fault was applied. */
  applied = 0;

  private readonly server: Server;
  /** The database URL through the proxy. */
  url = '';

  private constructor(target: URL) {
    this.server = createServer((client) => this.relay(client, target));
  }

  static async start(databaseUrl: string): Promise<PgFaultProxy> {
    const proxy = new PgFaultProxy(new URL(databaseUrl));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String((proxy.server.address() as AddressInfo).port);
    proxy.url = url.toString();
    return proxy;
  }

  /** Breaks the next transaction that carries `marker`, at `fault`'s point. */
  arm(fault: CommitFault, marker: string): void {
    this.armed = { fault, marker: Buffer.from(marker) };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, target: URL): void {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    this.sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', cut);
      socket.on('close', () => {
        this.sockets.delete(socket);
        cut();
      });
    }
    let pending = Buffer.alloc(0);
    let startup = true;
    let marked = false;
    let dropAnswers = false;
    upstream.on('data', (chunk) => {
      if (dropAnswers) return cut();
      client.write(chunk);
    });
    client.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const header = startup ? 0 : 1;
        if (pending.length < header + 4) return;
        const length = header + pending.readInt32BE(header);
        if (pending.length < length) return;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (startup) {
          // The startup packet, or an SSL request (8 bytes) that a startup packet follows.
          startup = length === 8;
          upstream.write(message);
          continue;
        }
        const armed = this.armed;
        if (armed && !marked && message.includes(armed.marker)) marked = true;
        if (marked && armed) {
          const commit = message[0] === 0x51 /* Q */ && /^\s*COMMIT\b/i.test(message.subarray(5).toString('utf8'));
          if (armed.fault === 'before-commit' && !message.includes(armed.marker)) return this.apply(cut);
          if (commit && armed.fault === 'commit-lost') return this.apply(cut);
          if (commit && armed.fault === 'answer-lost') {
            this.apply(() => (dropAnswers = true));
            marked = false;
          }
        }
        upstream.write(message);
      }
    });
  }

  private apply(fault: () => void): void {
    this.armed = undefined;
    this.applied++;
    fault();
  }
}
