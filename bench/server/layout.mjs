// Who is who in a bench run, identical for both servers. Device (or XMPP user) indices:
//   0..999        online devices; 1:1 pairs (2i → 2i+1), fan-out groups of 10 and of 100
//   1000..1099    offline receivers; sender j (0..999) writes to 1000 + (j mod 100)
//   1100..        idle devices for the connection ramp
export const ONLINE = 1000
export const OFFLINE = 100
export const OFFLINE_BASE = ONLINE
export const RAMP_BASE = ONLINE + OFFLINE

export function pairs() {
  const out = []
  for (let i = 0; i < ONLINE; i += 2) out.push([i, i + 1])
  return out
}

export function fanoutGroups(size) {
  const out = []
  for (let g = 0; g * size < ONLINE; g++) {
    const members = []
    for (let m = 0; m < size; m++) members.push(g * size + m)
    out.push(members)
  }
  return out
}

export function offlineGroups() {
  const out = []
  for (let j = 0; j < ONLINE; j++) out.push([j, OFFLINE_BASE + (j % OFFLINE)])
  return out
}
