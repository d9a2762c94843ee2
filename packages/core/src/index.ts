export * from "./errors.js"
export type { KeyValueStore, ListOptions, StoredRecord, WriteOp } from "./ports/store.js"
export { isValidKey, assertValidKey } from "./ports/store.js"
export type { Sealer } from "./ports/sealer.js"
export type { Clock, Random } from "./ports/platform.js"
export type {
  Delivery,
  DeviceCredentials,
  RequestSigner,
  Subscription,
  SubscriptionHandlers,
} from "./ports/delivery.js"
export { DeliveryUnavailableError } from "./ports/delivery.js"
export { MemoryStore, compareKeys } from "./store/memory-store.js"
export { SealedStore } from "./store/sealed-store.js"
export { NobleSealer } from "./store/noble-sealer.js"
export { BackchannelClient } from "./engine/client.js"
export type { ClientPlatform, EnrolInput, PublicIdentity } from "./engine/client.js"
export type { ClientSendOptions, SendTarget } from "./engine/send-flow.js"
export type { PeopleOptions } from "./engine/membership.js"
export type { TermsInput } from "./engine/terms.js"
export type { Standing } from "./engine/ledger.js"
export type { Terms, DefaultTerms, LedgerEntry } from "./content/content.js"
export { ConfirmationRequiredError } from "./errors.js"
export type { PersonToConfirm } from "./errors.js"
export type { ClientEventMap } from "./engine/events.js"
export type { ConversationRecord, MessageRecord, MemberRecord, MessageEvent } from "./engine/records.js"
export type { DeviceChange } from "./engine/directory.js"
export { supportedSuites, defaultSuite, isSupportedSuite } from "./mls/suite.js"
export type { SuiteName } from "./mls/suite.js"
export { maxTextChars } from "./content/content.js"
export type { SendOptions } from "./engine/outgoing.js"
export type { Leak, TraceResult, TraceCandidate, TracedLeak } from "./engine/trace.js"
export type { MarkedCopy, RenderPlan, RgbaImage } from "@backchannel/tracemark"
