// The baseline for the varlink figures: the same NUL-terminated bytes over a bare unix socket, with no parsing,
// validation or dispatch. An echo server answers each frame with itself; a stream server answers each request
// frame with `count` copies of a given frame. The client side only looks for NUL bytes.
import {createConnection, createServer} from 'node:net';
import type {Server, Socket} from 'node:net';
import {once} from 'node:events';

/** Calls `onFrame` with each complete frame (NUL included) received on `socket`. */
function onFrames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    let data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (let nul = data.indexOf(0); nul !== -1; nul = data.indexOf(0)) {
      onFrame(data.subarray(0, nul + 1));
      data = data.subarray(nul + 1);
    }
    pending = data;
  });
}

async function listen(server: Server, path: string): Promise<Server> {
  server.listen(path);
  await once(server, 'listening');
  return server;
}

export function echoServer(path: string): Promise<Server> {
  return listen(createServer((socket) => onFrames(socket, (frame) => socket.write(frame))), path);
}

/** Answers each request frame with `count` copies of `reply`, waiting for the socket to drain as needed. */
export function streamServer(path: string, reply: Uint8Array, count: number): Promise<Server> {
  return listen(createServer((socket) => onFrames(socket, () => {
    let sent = 0;
    const pump = () => {
      while (sent < count) {
        sent++;
        if (!socket.write(reply)) return void socket.once('drain', pump);
      }
    };
    pump();
  })), path);
}

/** A client that writes one frame and resolves once `frames` NUL-terminated frames have come back. */
export class RawClient {
  private waiting: {remaining: number; resolve: () => void} | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const w = this.waiting;
      if (!w) return;
      for (let i = chunk.indexOf(0); i !== -1; i = chunk.indexOf(0, i + 1)) w.remaining--;
      if (w.remaining <= 0) {
        this.waiting = null;
        w.resolve();
      }
    });
  }

  static async connect(path: string): Promise<RawClient> {
    const socket = createConnection(path);
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  exchange(frame: Uint8Array, frames = 1): Promise<void> {
    return new Promise((resolve) => {
      this.waiting = {remaining: frames, resolve};
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
