import { spawn } from "node:child_process"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { expect, it } from "vitest"
import { repoRoot } from "./support/paths.js"

// On Node 20, exporting a key made by generateKeyPairSync can deadlock the whole process (a garbage
// collection inside the export finalises the key-generation job, which waits on the lock the export
// holds); a generate-and-export loop hung here within 2,000 to 116,000 keys. The node provider makes every
// Ed25519 and X25519 key pair of the CLI and the server's tools, so it must not: this runs it in a child
// process (a deadlocked test worker could never time out) for 40,000 key pairs of each kind.

const provider = pathToFileURL(join(repoRoot, "packages/mls-crypto/dist/node/index.js")).href

it("generates 80,000 key pairs with the node provider without hanging", async () => {
  const script = `
    import { getCiphersuiteFromName } from "ts-mls"
    import { createNodeCryptoProvider } from ${JSON.stringify(provider)}
    const impl = await createNodeCryptoProvider().getCiphersuiteImpl(
      getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"),
    )
    const seen = new Set()
    for (let i = 0; i < 40000; i++) {
      const signing = await impl.signature.keygen()
      const hpke = await impl.hpke.generateKeyPair()
      const pub = await impl.hpke.exportPublicKey(hpke.publicKey)
      if (signing.publicKey.length !== 32 || pub.length !== 32) throw new Error("bad key length")
      seen.add(Buffer.from(signing.publicKey).toString("hex"))
      seen.add(Buffer.from(pub).toString("hex"))
    }
    process.stdout.write(String(seen.size))
  `
  const outcome = await new Promise<{ out: string; err: string; timedOut: boolean }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: join(repoRoot, "packages/mls-crypto"),
      stdio: ["ignore", "pipe", "pipe"],
    })
    let out = ""
    let err = ""
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, 150_000)
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c))
    child.once("error", reject)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve({ out, err, timedOut })
    })
  })
  expect(outcome.timedOut, "the key generation loop hung").toBe(false)
  expect(outcome.err).toBe("")
  // Every key is new (80,000 distinct public keys).
  expect(outcome.out).toBe("80000")
})
