// systemd socket activation: LISTEN_* parsing, and a real child process serving on a listening fd it inherited as
// fd 3, with LISTEN_PID set to its own pid the way systemd does (here by a shell that execs node).
import {afterEach, describe, expect, test} from '@jest/globals';
import {spawn} from 'node:child_process';
import type {ChildProcess} from 'node:child_process';
import {linkSync} from 'node:fs';
import net from 'node:net';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {listenFds} from '../../../service/varlink/socket-activation.js';
import {distModule, socketDir} from '../support/peers.js';

describe('listenFds', () => {
  test('returns fds from 3 on with their names, and removes the variables', () => {
    const env: NodeJS.ProcessEnv = {LISTEN_PID: '77', LISTEN_FDS: '2', LISTEN_FDNAMES: 'varlink:events', OTHER: 'x'};
    expect(listenFds(env, 77)).toEqual([{fd: 3, name: 'varlink'}, {fd: 4, name: 'events'}]);
    expect(env).toEqual({OTHER: 'x'});
  });

  test('names default to "unknown", as systemd\'s', () => {
    expect(listenFds({LISTEN_PID: '5', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a'}, 5)).toEqual([{fd: 3, name: 'a'}, {fd: 4, name: 'unknown'}]);
    expect(listenFds({LISTEN_PID: '5', LISTEN_FDS: '1'}, 5)).toEqual([{fd: 3, name: 'unknown'}]);
  });

  test.each([
    ['LISTEN_PID of another process', {LISTEN_PID: '78', LISTEN_FDS: '1'}],
    ['no LISTEN_PID', {LISTEN_FDS: '1'}],
    ['no LISTEN_FDS', {LISTEN_PID: '77'}],
    ['LISTEN_FDS=0', {LISTEN_PID: '77', LISTEN_FDS: '0'}],
    ['a non-numeric LISTEN_FDS', {LISTEN_PID: '77', LISTEN_FDS: 'two'}],
    ['a non-numeric LISTEN_PID', {LISTEN_PID: '77x', LISTEN_FDS: '1'}],
  ])('gives nothing for %s, and still removes the variables', (_name, vars) => {
    const env: NodeJS.ProcessEnv = {...vars};
    expect(listenFds(env, 77)).toEqual([]);
    expect(env).toEqual({});
  });
});

describe('an activated server', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  test('serves on the inherited fd; the listening socket outlives the process that made it', async () => {
    const {dir, remove} = socketDir('vl-act-');
    try {
      // The "socket unit": a listening socket at `path`, made by this process and handed over as fd 3. It is bound
      // under another name and linked, because closing a server here makes libuv unlink the name it bound.
      const path = join(dir, 'activated.sock');
      const holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen(join(dir, 'bound.tmp'), resolve));
      linkSync(join(dir, 'bound.tmp'), path);
      const fd = (holder as unknown as {_handle: {fd: number}})._handle.fd;

      const server = pathToFileURL(distModule('service/varlink/server.ts')).href;
      const activation = pathToFileURL(distModule('service/varlink/socket-activation.ts')).href;
      const script = `
        import {VarlinkServer} from '${server}';
        import {listenFds} from '${activation}';
        const fds = listenFds();
        const leaked = Object.keys(process.env).filter((k) => k.startsWith('LISTEN_'));
        const s = new VarlinkServer({vendor: 'terok', product: 'activated', version: '0', url: ''});
        await s.listen({fd: fds[0].fd});
        process.stdout.write(JSON.stringify({fds, leaked}) + '\\n');`;
      child = spawn('/bin/sh', ['-c', 'LISTEN_PID=$$ exec "$0" --input-type=module -e "$1"', process.execPath, script], {
        env: {...process.env, LISTEN_FDS: '1', LISTEN_FDNAMES: 'varlink'},
        stdio: ['ignore', 'pipe', 'inherit', fd],
      });
      await new Promise((resolve) => holder.close(resolve));

      const ready = await new Promise<string>((resolve, reject) => {
        let out = '';
        child!.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out);
        });
        child!.once('exit', (code) => reject(new Error(`activated server exited with ${code}`)));
      });
      expect(JSON.parse(ready)).toEqual({fds: [{fd: 3, name: 'varlink'}], leaked: []});

      const client = await VarlinkClient.connect(path);
      try {
        expect(await client.call('org.varlink.service.GetInfo')).toMatchObject({product: 'activated'});
      } finally {
        client.close();
      }
    } finally {
      remove();
    }
  });
});
