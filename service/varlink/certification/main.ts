// `npm run -s varlink-cert -- [--client] --varlink=unix:PATH`, with the reference peers' flags: without
// --client, serve org.varlink.certification on PATH until SIGTERM/SIGINT; with it, certify the server on PATH
// (exit 0 and "Certification passed", else the failing step and a non-zero exit).
import {VarlinkClient} from '../client.js';
import {EXIT} from '../../exit-codes.js';
import {logger} from '../../log.js';
import {certificationServer} from './server.js';
import {CertificationFailure, certify} from './client.js';

const USAGE = 'usage: varlink-cert [--client] --varlink=unix:PATH';
const log = logger('varlink-cert');

interface Options {
  client: boolean;
  path: string;
}

function parseArgs(argv: string[]): Options | string {
  let client = false;
  let address: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--client') client = true;
    else if (arg.startsWith('--varlink=')) address = arg.slice('--varlink='.length);
    else if (arg === '--varlink' && i + 1 < argv.length) address = argv[++i];
    else return `unknown argument '${arg}'`;
  }
  if (address === undefined) return '--varlink=unix:PATH is required';
  if (!address.startsWith('unix:') || address.length === 'unix:'.length || address.includes(';')) {
    return `only unix:PATH addresses are supported, got '${address}'`;
  }
  return {client, path: address.slice('unix:'.length)};
}

async function serve(path: string): Promise<number> {
  const server = certificationServer();
  const stop = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  try {
    await server.listen({path});
  } catch (e) {
    log.error(`cannot listen on unix:${path}: ${(e as Error).message}`);
    return EXIT.FAILED;
  }
  log.info(`listening on unix:${path}`);
  log.info(`${await stop}: closing`);
  await server.close();
  return EXIT.OK;
}

async function runClient(path: string): Promise<number> {
  let client: VarlinkClient;
  try {
    client = await VarlinkClient.connect(path, {timeoutMs: 10_000});
  } catch (e) {
    process.stderr.write(`Certification failed: cannot connect to unix:${path}: ${(e as Error).message}\n`);
    return EXIT.UNREACHABLE;
  }
  try {
    await certify(client, (step, reply) => process.stdout.write(`${step}: ${JSON.stringify(reply)}\n`));
    process.stdout.write('Certification passed\n');
    return EXIT.OK;
  } catch (e) {
    if (!(e instanceof CertificationFailure)) throw e;
    process.stderr.write(`Certification failed at ${e.message}\n`);
    return EXIT.FAILED;
  } finally {
    client.close();
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.OK;
  }
  const options = parseArgs(argv);
  if (typeof options === 'string') {
    process.stderr.write(`varlink-cert: ${options}\n${USAGE}\n`);
    return EXIT.USAGE;
  }
  return options.client ? runClient(options.path) : serve(options.path);
}

process.exitCode = await main(process.argv.slice(2));
