import { openDatabase, requestResult } from "./idb-store.js"
import { WebCryptoSealer } from "./webcrypto-sealer.js"

/**
 * How the local state is protected. "device-key" (the default): a random AES-256-GCM key generated as
 * non-extractable and kept in IndexedDB as a CryptoKey: page script can use it but never read it, and it
 * never leaves this browser profile. "passphrase": the key is derived with PBKDF2-SHA-256 from a passphrase
 * the user types on every start, and nothing that opens the state is stored at all.
 */
export type ProtectionChoice = { kind: "device-key" } | { kind: "passphrase"; passphrase: string }
export type ProtectionKind = ProtectionChoice["kind"]

type KeyRecord =
  | { kind: "device-key"; key: CryptoKey }
  | { kind: "passphrase"; salt: Uint8Array; iterations: number; check: Uint8Array }

export const keysDatabase = "backchannel-keys"
const keysStore = "keys"
const recordKey = "state-key"
const pbkdf2Iterations = 600_000
const checkText = new TextEncoder().encode("backchannel-web-state-check-v1")
const checkAd = new TextEncoder().encode("protection")
export const minPassphraseChars = 10

export class ProtectionError extends Error {
  constructor(
    readonly code: "WEB_WRONG_PASSPHRASE" | "WEB_WEAK_PASSPHRASE" | "WEB_KEY_MISSING",
    message: string,
  ) {
    super(message)
    this.name = "ProtectionError"
  }
}

async function readRecord(factory: IDBFactory): Promise<KeyRecord | undefined> {
  const db = await openDatabase(factory, keysDatabase, [keysStore])
  try {
    const tx = db.transaction(keysStore, "readonly")
    return (await requestResult(tx.objectStore(keysStore).get(recordKey))) as KeyRecord | undefined
  } finally {
    db.close()
  }
}

async function writeRecord(factory: IDBFactory, record: KeyRecord): Promise<void> {
  const db = await openDatabase(factory, keysDatabase, [keysStore])
  try {
    const tx = db.transaction(keysStore, "readwrite")
    await requestResult(tx.objectStore(keysStore).put(record, recordKey))
  } finally {
    db.close()
  }
}

async function passphraseKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(passphrase.normalize("NFKC")),
    "PBKDF2",
    false,
    ["deriveKey"],
  )
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  )
}

/** Which protection the stored state uses, or undefined when this browser holds none. */
export async function storedProtection(factory: IDBFactory = indexedDB): Promise<ProtectionKind | undefined> {
  return (await readRecord(factory))?.kind
}

/** Creates the key that will seal a new local state. */
export async function createStateKey(
  choice: ProtectionChoice,
  factory: IDBFactory = indexedDB,
): Promise<CryptoKey> {
  if (choice.kind === "device-key") {
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ])
    await writeRecord(factory, { kind: "device-key", key })
    return key
  }
  if (choice.passphrase.length < minPassphraseChars) {
    throw new ProtectionError(
      "WEB_WEAK_PASSPHRASE",
      `a passphrase has at least ${minPassphraseChars} characters`,
    )
  }
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const key = await passphraseKey(choice.passphrase, salt, pbkdf2Iterations)
  const check = await new WebCryptoSealer(key).seal(checkText, checkAd)
  await writeRecord(factory, { kind: "passphrase", salt, iterations: pbkdf2Iterations, check })
  return key
}

/** The key of the stored state: the kept CryptoKey, or the one the passphrase derives (checked first). */
export async function unlockStateKey(
  passphrase: string | undefined,
  factory: IDBFactory = indexedDB,
): Promise<CryptoKey> {
  const record = await readRecord(factory)
  if (record === undefined) throw new ProtectionError("WEB_KEY_MISSING", "this browser holds no local state")
  if (record.kind === "device-key") return record.key
  const key = await passphraseKey(passphrase ?? "", record.salt, record.iterations)
  try {
    await new WebCryptoSealer(key).open(record.check, checkAd)
  } catch {
    throw new ProtectionError("WEB_WRONG_PASSPHRASE", "wrong passphrase")
  }
  return key
}

/** Deletes the state key and the store: the local state is gone for good. */
export async function eraseLocalState(storeName: string, factory: IDBFactory = indexedDB): Promise<void> {
  await requestResult(factory.deleteDatabase(keysDatabase))
  await requestResult(factory.deleteDatabase(storeName))
}
