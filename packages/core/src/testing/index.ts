export { storeContract } from "./store-contract.js"
export type { StoreFactory } from "./store-contract.js"
export { storeContractCases } from "./store-contract-cases.js"
export type { ContractCase } from "./store-contract-cases.js"
