/**
 * The app's routes. They live in the URL hash so that the server needs no knowledge of them and an
 * invite link (`/#/enrol?code=…`) works from a fresh browser. app.tsx is the one file that maps them to
 * screens and draws the navigation; screens link with `href()`.
 */
export type Route =
  | { name: "home" }
  | { name: "enrol"; code: string }
  | { name: "conversation"; id: string }
  | { name: "members"; id: string }
  | { name: "new" }
  | { name: "devices" }
  | { name: "leak" }
  | { name: "ledger" }

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?")
  const parts = path.split("/").filter((p) => p.length > 0)
  const params = new URLSearchParams(query)
  if (parts[0] === "enrol") return { name: "enrol", code: params.get("code") ?? "" }
  if (parts[0] === "c" && parts[1] !== undefined) {
    const id = decodeURIComponent(parts[1])
    return parts[2] === "members" ? { name: "members", id } : { name: "conversation", id }
  }
  if (parts[0] === "new") return { name: "new" }
  if (parts[0] === "devices") return { name: "devices" }
  if (parts[0] === "leak") return { name: "leak" }
  if (parts[0] === "ledger") return { name: "ledger" }
  return { name: "home" }
}

export function href(route: Route): string {
  switch (route.name) {
    case "home":
      return "#/"
    case "enrol":
      return `#/enrol?code=${encodeURIComponent(route.code)}`
    case "conversation":
      return `#/c/${encodeURIComponent(route.id)}`
    case "members":
      return `#/c/${encodeURIComponent(route.id)}/members`
    case "new":
      return "#/new"
    case "devices":
      return "#/devices"
    case "leak":
      return "#/leak"
    case "ledger":
      return "#/ledger"
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route)
}
