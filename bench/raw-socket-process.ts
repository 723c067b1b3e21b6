// The raw unix-socket baselines of bench/raw-socket.ts in a process of their own, so the baseline crosses
// processes as the hub's figures do.
//   node raw-socket-process.js DIR STREAM_LENGTH
// Serves an echo on DIR/echo.sock and, on DIR/stream.sock, STREAM_LENGTH copies of the frame a hub subscriber
// receives for one reader line; then sends {listening: true} over the IPC channel.
import {join} from 'node:path';
import {echoServer, streamServer} from './raw-socket.js';
import {subscriberFrame} from './reader-lines.js';

const [dir, streamLength] = process.argv.slice(2) as [string, string];
await echoServer(join(dir, 'echo.sock'));
await streamServer(join(dir, 'stream.sock'), subscriberFrame(1), Number(streamLength));
process.on('disconnect', () => process.exit(0));
process.send!({listening: true});
