import { hkdf, randomBytes, scrypt } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { promisify } from "node:util"
import { fromB64, toB64, utf8 } from "@backchannel/protocol"
import { NobleSealer, SealedStore } from "@backchannel/core"
import type { ClientPlatform, Random } from "@backchannel/core"
import { createNodeCryptoProvider } from "@backchannel/mls-crypto/node"
import { HttpDelivery } from "@backchannel/transport"
import type { MinimalWebSocket } from "@backchannel/transport"
import WebSocket from "ws"
import { z } from "zod"
import { CliError } from "../cli-error.js"
import { acquireProfileLock } from "./lock.js"
import { SqliteStore } from "./sqlite-store.js"

const scryptAsync = promisify(scrypt) as (
  password: Uint8Array,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>
const hkdfAsync = promisify(hkdf)

/**
 * A profile directory holds one enrolled device:
 *   profile.json  format version and how the sealing key is derived (salt and KDF cost, no secret)
 *   profile.db    SQLite key-value store; every value sealed with XChaCha20-Poly1305 under that key
 *   profile.lock.db  locked (SQLite exclusive lock) while a command uses the profile, so MLS state
 *                 never advances in two processes; the kernel drops the lock when the process ends
 *
 * The key comes either from a passphrase (scrypt, N=2^17, r=8, p=1: 128 MiB and a few hundred ms per
 * command) or from a key file of at least 32 random bytes (HKDF-SHA256). The passphrase is read from
 * BACKCHANNEL_PASSPHRASE or asked for on the terminal.
 */
const profileFileSchema = z.object({
  format: z.literal("backchannel-profile"),
  version: z.literal(1),
  kdf: z.discriminatedUnion("name", [
    z.object({
      name: z.literal("scrypt"),
      N: z
        .number()
        .int()
        .min(2 ** 14)
        .max(2 ** 22),
      r: z.number().int().min(1).max(32),
      p: z.number().int().min(1).max(16),
      salt: z.string(),
    }),
    z.object({ name: z.literal("key-file"), salt: z.string() }),
  ]),
  /** A sealed known value: opening it proves the key is right before anything else is read. */
  check: z.string(),
})
type ProfileFile = z.infer<typeof profileFileSchema>

export interface SecretSource {
  keyFile?: string
  /** Called when neither a key file nor BACKCHANNEL_PASSPHRASE gives the secret. */
  askPassphrase: (prompt: string) => Promise<string>
}

export interface Profile {
  dir: string
  platform: ClientPlatform
  release(): Promise<void>
}

const CHECK_TEXT = "backchannel-profile-check-v1"
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 }
const random: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) }

export function profileExists(dir: string): boolean {
  return existsSync(join(dir, "profile.json"))
}

/** Creates a new, empty profile (for `enroll`). */
export async function createProfile(dir: string, source: SecretSource): Promise<Profile> {
  if (profileExists(dir)) throw new CliError("PROFILE_EXISTS", `a profile already exists in ${dir}`)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const salt = random.bytes(16)
  let kdf: ProfileFile["kdf"]
  let key: Uint8Array
  if (source.keyFile !== undefined) {
    kdf = { name: "key-file", salt: toB64(salt) }
    key = await keyFromFile(ensureKeyFile(source.keyFile), salt)
  } else {
    const passphrase = await passphraseFrom(source, "Choose a passphrase for this profile: ")
    if (passphrase.length < 8)
      throw new CliError("WEAK_PASSPHRASE", "the passphrase must have at least 8 characters")
    kdf = { name: "scrypt", ...SCRYPT, salt: toB64(salt) }
    key = await keyFromPassphrase(passphrase, salt, SCRYPT)
  }
  const sealer = new NobleSealer(key, random)
  const check = await sealer.seal(utf8(CHECK_TEXT), utf8("profile.json"))
  const file: ProfileFile = { format: "backchannel-profile", version: 1, kdf, check: toB64(check) }
  writeFileSync(join(dir, "profile.json"), JSON.stringify(file, null, 2) + "\n", { mode: 0o600 })
  return openWithKey(dir, key)
}

/** Opens an existing profile, verifying the passphrase or key file. */
export async function openProfile(dir: string, source: SecretSource): Promise<Profile> {
  if (!profileExists(dir)) {
    throw new CliError("NO_PROFILE", `no profile in ${dir}; enrol a device first with \`backchannel enroll\``)
  }
  let parsed: ReturnType<typeof profileFileSchema.safeParse>
  try {
    parsed = profileFileSchema.safeParse(JSON.parse(readFileSync(join(dir, "profile.json"), "utf8")))
  } catch {
    throw new CliError("PROFILE_DAMAGED", "profile.json cannot be read")
  }
  if (!parsed.success) {
    throw new CliError(
      "PROFILE_UNSUPPORTED",
      "profile.json is damaged or was written by an incompatible version",
    )
  }
  const file = parsed.data
  const salt = fromB64(file.kdf.salt)
  let key: Uint8Array
  if (file.kdf.name === "key-file") {
    if (source.keyFile === undefined)
      throw new CliError("KEY_FILE_REQUIRED", "this profile is unlocked with --key-file")
    key = await keyFromFile(source.keyFile, salt)
  } else {
    const passphrase = await passphraseFrom(source, "Passphrase: ")
    key = await keyFromPassphrase(passphrase, salt, file.kdf)
  }
  const sealer = new NobleSealer(key, random)
  try {
    await sealer.open(fromB64(file.check), utf8("profile.json"))
  } catch {
    throw new CliError("WRONG_SECRET", "wrong passphrase or key file for this profile")
  }
  return openWithKey(dir, key)
}

function openWithKey(dir: string, key: Uint8Array): Profile {
  const unlock = acquireProfileLock(dir)
  let sqlite: SqliteStore
  try {
    sqlite = new SqliteStore(join(dir, "profile.db"))
  } catch (err) {
    unlock()
    throw err
  }
  const store = new SealedStore(sqlite, new NobleSealer(key, random))
  key.fill(0)
  const platform: ClientPlatform = {
    store,
    clock: { now: () => Date.now() },
    random,
    // node:crypto with cached key objects: ~8x faster MLS than ts-mls' default provider (bench/RESULTS.md).
    cryptoProvider: createNodeCryptoProvider(),
    deliveryFor: (serverUrl, credentials) =>
      new HttpDelivery({
        baseUrl: serverUrl,
        ...(credentials ? { credentials } : {}),
        randomBytes: (n) => random.bytes(n),
        webSocket: (url) =>
          new WebSocket(url, { maxPayload: 8 * 1024 * 1024 }) as unknown as MinimalWebSocket,
      }),
  }
  return {
    dir,
    platform,
    release: async () => {
      await store.close()
      unlock()
    },
  }
}

async function passphraseFrom(source: SecretSource, prompt: string): Promise<string> {
  const fromEnv = process.env.BACKCHANNEL_PASSPHRASE
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv
  return source.askPassphrase(prompt)
}

async function keyFromPassphrase(
  passphrase: string,
  salt: Uint8Array,
  cost: { N: number; r: number; p: number },
): Promise<Uint8Array> {
  const derived = await scryptAsync(utf8(passphrase.normalize("NFKC")), salt, 32, {
    ...cost,
    maxmem: 256 * 1024 * 1024,
  })
  return new Uint8Array(derived)
}

async function keyFromFile(path: string, salt: Uint8Array): Promise<Uint8Array> {
  let material: Buffer
  try {
    material = readFileSync(path)
  } catch {
    throw new CliError("KEY_FILE_UNREADABLE", "the key file cannot be read")
  }
  if (material.length < 32)
    throw new CliError("KEY_FILE_TOO_SHORT", "a key file holds at least 32 random bytes")
  return new Uint8Array(await hkdfAsync("sha256", material, salt, "backchannel-profile-key-v1", 32))
}

/** Creates the key file with 32 random bytes when it does not exist yet. */
function ensureKeyFile(path: string): string {
  if (!existsSync(path)) writeFileSync(path, random.bytes(32), { mode: 0o600, flag: "wx" })
  return path
}
