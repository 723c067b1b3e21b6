// A subscriber in its own process, as a real UI would be: counts the events of a hub's Subscribe stream and
// prints the count (and the last request id) once it has `want` connection_blocked events or `ms` passed.
// Prints "subscribed" on its first event of any kind.
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
let ready = false;
for await (const reply of client.stream('org.terok.Clearance1.Subscribe')) {
  // The test writes probe events until every subscriber has seen one: then the hub has surely registered it.
  if (!ready) {
    ready = true;
    process.stdout.write('subscribed\n');
  }
  if (reply.event.type !== 'connection_blocked') continue;
  count++;
  last = reply.event.request_id;
  if (count >= want) done();
}
