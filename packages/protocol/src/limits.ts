/** Sizes and counts every implementation enforces. Byte sizes are of the decoded binary value. */
export const limits = {
  /** Largest JSON body the server reads, on every endpoint but commits. */
  maxBodyBytes: 4 * 1024 * 1024,
  /**
   * Largest body of `POST /v1/groups/:groupId/commits`: a maximal commit and Welcome, base64url-encoded,
   * with the add/remove lists (2 MiB + 3 MiB of binary is about 6.7 MiB of JSON).
   */
  maxCommitRequestBytes: 8 * 1024 * 1024,
  /** An MLS application message (PrivateMessage). */
  maxApplicationMessageBytes: 256 * 1024,
  /** An MLS commit (PublicMessage or PrivateMessage). */
  maxCommitBytes: 2 * 1024 * 1024,
  /** An MLS Welcome, which carries the ratchet tree of a group of up to maxGroupDevices. */
  maxWelcomeBytes: 3 * 1024 * 1024,
  /** One KeyPackage (MLSMessage framing included). */
  maxKeyPackageBytes: 8 * 1024,
  /** Key packages per upload request. */
  maxKeyPackagesPerUpload: 200,
  /** Unclaimed key packages one device may hold on the server. */
  maxKeyPackagesPerDevice: 1000,
  /** Devices whose key packages one claim request may ask for. */
  maxClaimDevices: 500,
  /** Member devices in one group. */
  maxGroupDevices: 1000,
  /** Devices one user may enrol. */
  maxDevicesPerUser: 10,
  /** Queue items returned by one fetch. */
  maxFetchItems: 500,
  /** Directory entries returned by one search. */
  maxSearchResults: 50,
  /** Allowed distance between a signed request's time and the server's clock. */
  authWindowMs: 2 * 60 * 1000,
  /** Time a WebSocket has to answer the challenge. */
  wsAuthTimeoutMs: 10 * 1000,
  /** Largest WebSocket frame the server reads. */
  maxWsFrameBytes: 512 * 1024,
  displayNameChars: 100,
  titleChars: 100,
  organisationChars: 100,
  deviceNameChars: 64,
} as const
