// A relay between a client and a unix socket, so a test can break a client's connections without touching the
// server behind it.
import {mkdirSync} from 'node:fs';
import {connect as netConnect, createServer, type Socket} from 'node:net';
import {dirname} from 'node:path';

/** A unix socket at `at` relaying each connection to `target`, so a test can break one connection of a client. */
export async function relay(at: string, target: string): Promise<{connections: Socket[]; close(): Promise<void>}> {
  mkdirSync(dirname(at), {recursive: true});
  const connections: Socket[] = [];
  const server = createServer((client) => {
    connections.push(client);
    const upstream = netConnect(target);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.pipe(upstream).pipe(client);
    for (const socket of [client, upstream]) socket.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(at, resolve));
  return {
    connections,
    close: () => {
      for (const socket of connections) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
