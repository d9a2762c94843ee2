export interface MeasuredFile {
  file: string
  bytes: number
  gzip: number
}
export declare const budgetBytes: number
export declare function measureBundle(distDir: string): {
  initial: MeasuredFile[]
  initialGzip: number
  lazy: MeasuredFile[]
  lazyGzip: number
}
