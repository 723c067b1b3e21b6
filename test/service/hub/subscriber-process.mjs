// A subscriber in its own process, as a real UI would be: counts the events of a hub's Subscribe stream and
// prints the count (and the last request id) once it has `want` connection_blocked events or `ms` passed.
import {setTimeout} from 'node:timers';
import {VarlinkClient} from '../../../dist/service/varlink/client.js';

const [socket, want, ms] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 60000)];
const client = await VarlinkClient.connect(socket);
let count = 0;
let last = '';
const done = () => {
  process.stdout.write(JSON.stringify({count, last}) + '\n');
  process.exit(0);
};
setTimeout(done, ms);
process.stdout.write('subscribed\n');
for await (const reply of client.stream('org.terok.Clearance1.Subscribe')) {
  if (reply.event.type !== 'connection_blocked') continue;
  count++;
  last = reply.event.request_id;
  if (count >= want) done();
}
