export { storeContract } from "./store-contract.js"
export type { StoreFactory } from "./store-contract.js"
