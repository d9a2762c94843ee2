/**
 * The few globals that every runtime Backchannel targets (Node >= 20, browsers, Web Workers) provides
 * and that the portable packages (protocol, core, tracemark) are allowed to use.
 *
 * These packages compile without Node or DOM type libraries so that a stray `fs`, `Buffer`,
 * `window` or `fetch` fails the build; anything platform-specific comes in through a port.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean })
  decode(input?: Uint8Array): string
}
