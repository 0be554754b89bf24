import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpSwitch {
  port: number;
  /** New connections go to `port` from now on; the ones open stay where they are, as HAProxy leaves them when a check moves its primary. */
  switchTo(port: number): void;
  /** A network cut: open connections are dropped, new ones refused (closed at once), until switchTo(). */
  cut(): void;
  close(): Promise<void>;
}

/**
 * A TCP forwarder on a loopback port, standing in for the proxy (HAProxy on Patroni's `/primary`) that
 * decides which server a new connection reaches: a failover moves it, and sessions opened before stay
 * on the server they were opened to.
 */
export async function startTcpSwitch(targetPort: number): Promise<TcpSwitch> {
  let target: number | undefined = targetPort;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    switchTo: (port) => {
      target = port;
    },
    cut: () => {
      target = undefined;
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
