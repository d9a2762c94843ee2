import { utf8 } from "@backchannel/protocol"
import type { Sealer } from "../ports/sealer.js"
import type { KeyValueStore, ListOptions, StoredRecord, WriteOp } from "../ports/store.js"

/**
 * Encrypts every value at rest: values are sealed with the store key as associated data before they
 * reach the underlying store, and opened (authenticated) on the way out. Keys stay in the clear so the
 * store can order them; they hold only random ids, counters and record kinds, never content or names.
 */
export class SealedStore implements KeyValueStore {
  constructor(
    private readonly inner: KeyValueStore,
    private readonly sealer: Sealer,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const sealed = await this.inner.get(key)
    return sealed === undefined ? undefined : this.sealer.open(sealed, utf8(key))
  }

  async list(prefix: string, options?: ListOptions): Promise<StoredRecord[]> {
    const records = await this.inner.list(prefix, options)
    return Promise.all(
      records.map(async (r) => ({ key: r.key, value: await this.sealer.open(r.value, utf8(r.key)) })),
    )
  }

  async batch(ops: readonly WriteOp[]): Promise<void> {
    const sealed = await Promise.all(
      ops.map(async (op): Promise<WriteOp> =>
        op.type === "put"
          ? { type: "put", key: op.key, value: await this.sealer.seal(op.value, utf8(op.key)) }
          : op,
      ),
    )
    await this.inner.batch(sealed)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
