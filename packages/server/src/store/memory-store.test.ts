import { storeContract } from "../testing/store-contract.js"
import { MemoryStore } from "./memory-store.js"

storeContract("memory", { create: () => Promise.resolve(new MemoryStore()) })
