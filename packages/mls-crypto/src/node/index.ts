/** `@backchannel/mls-crypto/node`: the node:crypto provider (Node.js only). */
export { createNodeCryptoProvider } from "./provider.js"
export type { MlsCryptoProvider, MlsCryptoProviderOptions } from "../provider-types.js"
