// Plain-text wording shared by every UI (notification, shell prompt, terminal). Renderers escape the output for
// their medium with escape.ts; nothing here is markup.
import type {ClearanceEvent} from './event.js';
import {protoLabel} from './identity.js';
import type {PromptView, SecurityAlert, VerdictResult} from './prompts.js';
import {bindingTarget} from './verdict.js';

/** Formats a ms timestamp as the operator's wall-clock time. */
export type ClockFormat = (ms: number) => string;

/** "HH:MM:SS" of `ms` at a fixed offset from UTC (minutes east); pure, so tests do not depend on the host's zone. */
export function clockTime(ms: number, utcOffsetMinutes = 0): string {
  if (!Number.isFinite(ms)) return '--:--:--';
  const day = 86_400_000;
  const t = (((ms + utcOffsetMinutes * 60_000) % day) + day) % day;
  const seconds = Math.floor(t / 1000);
  return [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60]
    .map((n) => String(n).padStart(2, '0')).join(':');
}

/** "HH:MM:SS" in the host's local time zone at that moment (DST included). */
export function localClockTime(ms: number): string {
  return clockTime(ms, Number.isFinite(ms) ? -new Date(ms).getTimezoneOffset() : 0);
}

/** "host:port", with an IPv6 address in brackets; port 0 (no port, e.g. ICMP) is left out. */
export function hostPort(host: string, port: number): string {
  if (port === 0) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function promptTitle(prompt: Pick<ClearanceEvent, 'domain' | 'dest' | 'port'>): string {
  return `Blocked: ${hostPort(bindingTarget(prompt), prompt.port)}`;
}

export function repeatText(count: number, firstSeen: number, clock: ClockFormat = localClockTime): string {
  return `Blocked ${count} times since ${clock(firstSeen)}`;
}

/** Identity, protocol, the IP when the title shows a domain, and the repeat count once there is one. */
export function promptBody(
  prompt: Pick<PromptView, 'identity' | 'domain' | 'dest' | 'proto' | 'count' | 'firstSeen'>,
  clock: ClockFormat = localClockTime,
): string[] {
  const lines = [prompt.identity, `Protocol: ${protoLabel(prompt.proto)}`];
  if (prompt.domain && prompt.dest && prompt.dest !== prompt.domain) lines.push(`IP: ${prompt.dest}`);
  if (prompt.count > 1) lines.push(repeatText(prompt.count, prompt.firstSeen, clock));
  return lines;
}

type ResultFacts = Pick<VerdictResult, 'action' | 'ok' | 'target' | 'stderr'>;

/** "Allowed: x", "Denied: x", "Allow failed: x: stderr" — one line (stderr's line breaks folded). */
export function resultText(result: ResultFacts): string {
  const verb = result.action === 'allow' ? 'Allow' : 'Deny';
  if (result.ok) return `${result.action === 'allow' ? 'Allowed' : 'Denied'}: ${result.target}`;
  const stderr = result.stderr.replace(/\s+/g, ' ').trim();
  return stderr ? `${verb} failed: ${result.target}: ${stderr}` : `${verb} failed: ${result.target}`;
}

/** What is happening to a prompt right now, or "" when it simply waits for an answer. */
export function promptStatus(prompt: Pick<PromptView, 'inFlight' | 'notice'> & {failure: ResultFacts | null}): string {
  if (prompt.inFlight) return prompt.inFlight === 'allow' ? 'Allowing...' : 'Denying...';
  if (prompt.notice === 'already-answered') return 'Already answered';
  return prompt.failure ? resultText(prompt.failure) : '';
}

export function alertTitle(alert: Pick<SecurityAlert, 'kind' | 'identity'>): string {
  return `${alert.kind === 'shield_down' ? 'Shield down' : 'Shield disengaged'}: ${alert.identity}`;
}

export function alertBody(alert: Pick<SecurityAlert, 'kind'>): string {
  return alert.kind === 'shield_down'
    ? 'Egress filtering is bypassed for this container.'
    : 'Egress filtering is fully disabled for this container.';
}

/** "Container started: x", "Container exited: x (reason)"; "" for any other event type. */
export function lifecycleText(event: Pick<ClearanceEvent, 'type' | 'reason'>, identity: string): string {
  if (event.type === 'container_started') return `Container started: ${identity}`;
  if (event.type !== 'container_exited') return '';
  const reason = event.reason.replace(/\s+/g, ' ').trim();
  return reason ? `Container exited: ${identity} (${reason})` : `Container exited: ${identity}`;
}
