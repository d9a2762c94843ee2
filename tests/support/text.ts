/**
 * What a person reads, without tracemark's per-recipient typography: zero-width marks removed, quote,
 * dash and ellipsis forms folded to ASCII, runs of spaces collapsed. Written independently of the
 * tracemark package so that tests comparing delivered text do not rely on the code they test.
 */
export function plain(text: string): string {
  return text
    .replace(/\u200b|\u200c|\u200d|\u2060|\ufeff/g, "")
    .replace(/[\u2018\u2019\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201f\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .replace(/\u2026/g, "...")
    .replace(/\s+/g, " ")
    .trim()
}
