import type { Bus, NoticeListener, QueueNotice } from "./types.js"

/** The in-process bus: synchronous delivery to the listeners of each device in this process. */
export class LocalBus implements Bus {
  private readonly listeners = new Map<string, Set<NoticeListener>>()

  publish(notices: readonly QueueNotice[]): void {
    for (const notice of notices) {
      const set = this.listeners.get(notice.deviceId)
      if (set === undefined) continue
      for (const listener of [...set]) listener(notice)
    }
  }

  subscribe(deviceId: string, listener: NoticeListener): () => void {
    let set = this.listeners.get(deviceId)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(deviceId, set)
    }
    set.add(listener)
    return () => {
      const current = this.listeners.get(deviceId)
      if (current === undefined) return
      current.delete(listener)
      if (current.size === 0) this.listeners.delete(deviceId)
    }
  }

  /** Number of devices with at least one listener. */
  get subscribedDevices(): number {
    return this.listeners.size
  }

  close(): Promise<void> {
    this.listeners.clear()
    return Promise.resolve()
  }
}
