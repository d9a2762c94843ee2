import type {
  ClaimedKeyPackage,
  CommitRequest,
  CommitResponse,
  ConfigResponse,
  DirectoryEntry,
  EnrolRequest,
  EnrolResponse,
  GroupResponse,
  InviteResponse,
  KeyPackageStatus,
  MeResponse,
  QueueItem,
  QueueResponse,
  SendResponse,
} from "@backchannel/protocol"

/**
 * The delivery service as the client engine sees it. The HTTP + WebSocket adapter lives in
 * @backchannel/transport. Failures the server reports are thrown as ProtocolError (with a stable code);
 * failures to reach it are thrown as DeliveryUnavailableError, which the engine treats as "try later".
 */
export interface Delivery {
  enrol(request: EnrolRequest): Promise<EnrolResponse>
  me(): Promise<MeResponse>
  createDeviceInvite(): Promise<InviteResponse>
  searchDirectory(query: string, limit?: number): Promise<DirectoryEntry[]>
  lookup(request: { handles?: string[]; deviceIds?: string[] }): Promise<DirectoryEntry[]>
  uploadKeyPackages(keyPackages: Uint8Array[], lastResort?: Uint8Array): Promise<KeyPackageStatus>
  keyPackageStatus(): Promise<KeyPackageStatus>
  claimKeyPackages(request: { handles?: string[]; deviceIds?: string[] }): Promise<ClaimedKeyPackage[]>
  createGroup(groupId: string): Promise<GroupResponse>
  getGroup(groupId: string): Promise<GroupResponse>
  commit(groupId: string, request: CommitRequest): Promise<CommitResponse>
  /** Sends an application message; `expiresAt` lets the server delete its queued copies at that time. */
  send(groupId: string, message: Uint8Array, options?: { expiresAt?: number }): Promise<SendResponse>
  /** The operator's configuration (confidentiality labels). */
  config(): Promise<ConfigResponse>
  fetchQueue(after: number, limit?: number): Promise<QueueResponse>
  ack(upTo: number): Promise<void>
  /** Opens a push session that delivers every queued item after `after`, then live ones, in order. */
  subscribe(after: number, handlers: SubscriptionHandlers): Subscription
}

export interface SubscriptionHandlers {
  /** Items in seq order. The session waits for the returned promise before delivering more. */
  onItems(items: QueueItem[]): Promise<void>
  onStateChange?(state: "connecting" | "open" | "closed", detail?: { code?: string }): void
}

export interface Subscription {
  /** Acknowledge (and let the server delete) every item with seq ≤ upTo. */
  ack(upTo: number): void
  close(): Promise<void>
}

/** Signs request bytes with the device's signature key. */
export type RequestSigner = (bytes: Uint8Array) => Promise<Uint8Array>

export interface DeviceCredentials {
  deviceId: string
  sign: RequestSigner
}

export class DeliveryUnavailableError extends Error {
  constructor(message = "The server could not be reached.", options?: { cause?: unknown }) {
    super(message, options)
    this.name = "DeliveryUnavailableError"
  }
}
