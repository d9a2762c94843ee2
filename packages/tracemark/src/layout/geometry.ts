/**
 * The reference bubble's geometry in CSS px. The DOM renderer, the layout engine and the screenshot
 * decoder all read these numbers, so a change here changes every copy's look: keep it versioned.
 */
export interface BubbleGeometry {
  fontSize: number
  lineHeight: number
  maxContentWidth: number
  padX: number
  padY: number
  /** Word shift: each unit moves by ±shift px from its nominal position. */
  shift: number
  /** Extra gap of a double sentence space, px. */
  sentenceExtra: number
  radius: number
  /** Bubble background and text colours, sRGB. */
  background: readonly [number, number, number]
  ink: readonly [number, number, number]
  overlayCell: number
  overlayCols: number
  overlayRows: number
  /** Overlay amplitude in 8-bit sRGB levels (each cell is lighter or darker by this much). */
  overlayAmplitude: number
}

export const defaultGeometry: BubbleGeometry = {
  fontSize: 16,
  lineHeight: 22,
  maxContentWidth: 300,
  padX: 12,
  padY: 9,
  shift: 0.6,
  sentenceExtra: 4,
  radius: 14,
  background: [233, 238, 246],
  ink: [20, 24, 31],
  overlayCell: 6,
  overlayCols: 16,
  overlayRows: 8,
  overlayAmplitude: 3,
}
