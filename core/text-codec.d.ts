// The core targets both Node and GJS, which share only ES2022 plus the WHATWG text codecs. This declares just
// those codecs for the core's own type-check (tsconfig.json at the root sees Node's declarations instead).
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: {fatal?: boolean; ignoreBOM?: boolean});
  decode(input?: Uint8Array, options?: {stream?: boolean}): string;
}
