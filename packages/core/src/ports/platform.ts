/** Time and randomness come from the platform so tests can control them. */
export interface Clock {
  /** Unix time in milliseconds. */
  now(): number
}

export interface Random {
  /** Cryptographically secure random bytes. */
  bytes(length: number): Uint8Array
}
