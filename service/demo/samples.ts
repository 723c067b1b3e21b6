// What the demo's simulated shield reader writes: plausible blocked connections from a few containers, as the
// real reader's `pending` lines (wire.md §4). Addresses and names are documentation ones (RFC 5737, example.net).
export interface SampleContainer {
  id: string;
  dossier: Record<string, string>;
}

export const SAMPLE_CONTAINERS: SampleContainer[] = [
  {id: 'a1b2c3d4e5f6', dossier: {project: 'warp', task: 't42', name: 'build'}},
  {id: '0f1e2d3c4b5a', dossier: {project: 'atlas', task: 't7', name: 'tests'}},
  // A standalone container: no task dossier, only a name.
  {id: '9a8b7c6d5e4f', dossier: {container_name: 'scratch'}},
];

interface SampleBlock {
  container: number;
  dest: string;
  port: number;
  proto: number;
  domain: string;
}

const BLOCKS: SampleBlock[] = [
  {container: 0, dest: '198.51.100.7', port: 443, proto: 6, domain: 'registry.example.net'},
  {container: 1, dest: '203.0.113.12', port: 443, proto: 6, domain: 'pypi.example.org'},
  {container: 2, dest: '192.0.2.53', port: 53, proto: 17, domain: ''},
  {container: 0, dest: '198.51.100.7', port: 443, proto: 6, domain: 'registry.example.net'},
  {container: 1, dest: '203.0.113.40', port: 22, proto: 6, domain: 'git.example.com'},
  {container: 0, dest: '198.51.100.99', port: 8443, proto: 6, domain: 'telemetry.example.net'},
];

/** The container and target of the n-th sample (what a verdict on it names). */
export function sampleTarget(n: number): {container: string; target: string} {
  const block = BLOCKS[n % BLOCKS.length]!;
  return {container: SAMPLE_CONTAINERS[block.container]!.id, target: block.domain || block.dest};
}

/** The n-th line (0-based) the demo reader writes; request ids count from 1 per container, as the reader's do. */
export function sampleLine(n: number, counters: Map<string, number>): string {
  const block = BLOCKS[n % BLOCKS.length]!;
  const container = SAMPLE_CONTAINERS[block.container]!;
  const seq = (counters.get(container.id) ?? 0) + 1;
  counters.set(container.id, seq);
  return JSON.stringify({
    type: 'pending', container: container.id, id: `${container.id}:${seq}`, dest: block.dest, port: block.port,
    proto: block.proto, domain: block.domain, dossier: container.dossier, ts: new Date().toISOString(),
  });
}
