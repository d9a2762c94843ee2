import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import { EngineClient } from "./rpc/engine-client.js"
import { App } from "./app.js"
import "./styles.css"

const worker = new Worker(new URL("./worker/engine-worker.ts", import.meta.url), { type: "module" })
const engine = new EngineClient(worker)
const root = document.getElementById("root")
if (root === null) throw new Error("no #root element")
createRoot(root).render(
  <StrictMode>
    <App engine={engine} />
  </StrictMode>,
)
