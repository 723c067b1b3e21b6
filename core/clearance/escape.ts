// Escaping for the two media our UIs render into. Wire strings are already printable ASCII (sanitise.ts), but labels
// can come from elsewhere (a resolver, a hub we do not control), so each renderer escapes everything it shows.
//
// Characters that are never worth showing and can hurt: C0/C1 controls and DEL (ANSI escape sequences start with
// ESC or C1 CSI), bidi embeddings/overrides/isolates and marks (they reorder what the operator reads), line and
// paragraph separators, and lone surrogates (not encodable as UTF-8). Each becomes U+FFFD, visibly.
const REPLACEMENT = '\uFFFD';
const BIDI_AND_SEPARATORS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029';
const LONE_SURROGATE = '[\\ud800-\\udfff]'; // with the u flag only unpaired halves match

const TERMINAL_UNSAFE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI_AND_SEPARATORS}]|${LONE_SURROGATE}`, 'gu');
// Tab and newline are kept: a body may be several lines. A bare CR is not: GMarkup turns it into a line break.
const MARKUP_UNSAFE = new RegExp(
  `[&<>"']|[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI_AND_SEPARATORS}]|${LONE_SURROGATE}`, 'gu');

const ENTITIES: ReadonlyMap<string, string> = new Map([
  ['&', '&amp;'], ['<', '&lt;'], ['>', '&gt;'], ['"', '&quot;'], ["'", '&#39;'],
]);

/** Text made safe to embed in Pango markup (notification bodies, St labels with markup). */
export function escapeMarkup(s: string): string {
  return s.replace(MARKUP_UNSAFE, (ch) => ENTITIES.get(ch) ?? REPLACEMENT);
}

// A notification summary is plain text by the spec, but some servers parse markup in it anyway, and no capability
// says which. The characters that could start markup become look-alikes that read the same on either kind of
// server and never parse; none of them can occur in a host name, so no destination is disguised.
const SUMMARY_LOOKALIKES: ReadonlyMap<string, string> = new Map([['&', '\uFF06'], ['<', '\u2039'], ['>', '\u203A']]);

/** A notification summary: one terminal-safe line with nothing a markup-parsing server could render as markup. */
export function plainSummary(s: string): string {
  return escapeTerminal(s).replace(/[&<>]/g, (ch) => SUMMARY_LOOKALIKES.get(ch)!);
}

/** One field made safe to print to a terminal: no escape sequences, no line breaks, no reordering. */
export function escapeTerminal(s: string): string {
  return s.replace(TERMINAL_UNSAFE, REPLACEMENT);
}
