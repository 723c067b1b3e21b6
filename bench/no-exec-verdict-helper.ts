// A stand-in verdict helper for the hub bench: org.terok.ClearanceVerdict1 on the same varlink server as the real
// one, but Apply answers ok at once without running a shield. Timing verdicts through it, beside the real helper
// with an instant shield, separates the cost of fork/exec from that of the hub and its two varlink hops.
//   node no-exec-verdict-helper.js SOCKET
import {VERDICT_IDL} from '../service/verdict/verdict-idl.js';
import {VarlinkServer} from '../service/varlink/server.js';

const server = new VarlinkServer({vendor: 'terok', product: 'bench verdict helper without exec', version: '0', url: ''});
server.addInterface(VERDICT_IDL, {Apply: () => ({ok: true, stderr: ''})});
await server.listen({path: process.argv[2]!});
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
process.send!({listening: true});
