export { main, commands } from "./main.js"
export { SqliteStore } from "./profile/sqlite-store.js"
export { createProfile, openProfile } from "./profile/profile.js"
