// Our server as its own process for the benchmark: `node server-proc.mjs DATA_DIR [FULL|NORMAL]`
// (NORMAL only for the diagnostic `--synchronous NORMAL` runs: not durable against power loss). Prints one JSON
// line {url} once listening; SIGTERM closes it cleanly (so --cpu-prof profiles are written).
import { startServer } from "../../packages/server/dist/index.js"

const dataDir = process.argv[2]
if (dataDir === undefined) throw new Error("usage: server-proc.mjs DATA_DIR")
const synchronous = process.argv[3] === "NORMAL" ? "NORMAL" : "FULL"
const server = await startServer({ dataDir, host: "127.0.0.1", port: 0, logLevel: "error", synchronous })
console.log(JSON.stringify({ url: server.url }))
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0))
})
