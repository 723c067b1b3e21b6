// systemd user units for the services. Each carries a version stamp (X-TerokClearanceVersion) so `status` can
// tell whether what is installed matches what would be installed now.
export const UNIT_STAMP_KEY = 'X-TerokClearanceVersion';

export type ServiceName = 'hub' | 'verdict' | 'notifier';

export interface UnitSpec {
  name: ServiceName;
  file: string;
  text: string;
}

export interface UnitContext {
  version: string;
  /** Absolute path of the node binary. */
  node: string;
  /** Absolute path of bin/terok-clearance.js. */
  cli: string;
}

// Hardening every unit can take. No MemoryDenyWriteExecute: V8's JIT needs writable+executable pages.
const COMMON_HARDENING = [
  'NoNewPrivileges=yes',
  'LockPersonality=yes',
  'RestrictRealtime=yes',
  'RestrictSUIDSGID=yes',
  'SystemCallArchitectures=native',
  'UMask=0077',
];

// For units that run the user's own tools (terok-shield, podman) with the user's privileges.
const USER_TOOL_HARDENING = [
  'LockPersonality=yes',
  'RestrictRealtime=yes',
  'SystemCallArchitectures=native',
  'UMask=0077',
];

function quoteArg(arg: string): string {
  // systemd's own quoting for ExecStart: double quotes, with backslash escapes for quote and backslash.
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function unit(
  ctx: UnitContext, description: string, args: string[], service: string[], extraUnit: string[] = [],
  wantedBy = 'default.target',
): string {
  return [
    '[Unit]',
    `Description=${description}`,
    'Documentation=man:terok-clearance(1)',
    ...extraUnit,
    `${UNIT_STAMP_KEY}=${ctx.version}`,
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${[ctx.node, ctx.cli, ...args].map(quoteArg).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=2s',
    ...service,
    '',
    '[Install]',
    `WantedBy=${wantedBy}`,
    '',
  ].join('\n');
}

export function renderUnits(ctx: UnitContext): UnitSpec[] {
  return [
    {
      name: 'hub',
      file: 'terok-clearance-hub.service',
      text: unit(ctx, 'terok-clearance hub (org.terok.Clearance1)', ['serve'], [
        ...COMMON_HARDENING,
        // The hub only speaks over unix sockets and never runs anything.
        'RestrictAddressFamilies=AF_UNIX',
        'CapabilityBoundingSet=',
      ], ['Wants=terok-clearance-verdict.service', 'After=terok-clearance-verdict.service']),
    },
    {
      name: 'verdict',
      file: 'terok-clearance-verdict.service',
      // The helper runs terok-shield, which may need setuid helpers (newuidmap) and netlink to reach the ruleset:
      // keep its privileges as the user has them.
      text: unit(ctx, 'terok-clearance verdict helper (org.terok.ClearanceVerdict1)', ['serve-verdict'], USER_TOOL_HARDENING),
    },
    {
      name: 'notifier',
      file: 'terok-clearance-notifier.service',
      // It names containers with rootless podman, which enters the user's namespaces through setuid newuidmap.
      text: unit(ctx, 'terok-clearance desktop-notification prompts', ['notifier'], USER_TOOL_HARDENING,
        ['PartOf=graphical-session.target', 'After=graphical-session.target'], 'graphical-session.target'),
    },
  ];
}

/** The version stamp of an installed unit's text, if any. */
export function unitStamp(text: string): string | undefined {
  return new RegExp(`^${UNIT_STAMP_KEY}=(.*)$`, 'm').exec(text)?.[1]?.trim();
}
