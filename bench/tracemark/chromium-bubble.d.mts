import type { RenderPlan, RgbaImage } from "@backchannel/tracemark"

export declare const chromiumArgs: string[]
export interface BubbleTab {
  screenshot(plan: RenderPlan, margin?: number): Promise<RgbaImage>
  close(): Promise<void>
}
export declare function launchBubbleRenderer(): Promise<{
  open(deviceScaleFactor: number): Promise<BubbleTab>
  blocked: string[]
  close(): Promise<void>
}>
