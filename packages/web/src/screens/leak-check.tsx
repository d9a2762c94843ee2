import { useId, useState } from "react"
import type { DragEvent, SyntheticEvent } from "react"
import type { Leak, TraceCandidate, TraceResult } from "@backchannel/core"
import { decodeCanvasImage } from "@backchannel/tracemark/dom"
import { useEngine, usePerson } from "../ui/engine-context.js"
import { formatWhen } from "../ui/format.js"
import { RecordBreach } from "../components/ledger-record.js"

/** The attribution threshold (adjusted p-value) and the conclusive one, as in tracemark's bands. */
const attributable = 1e-6
const conclusive = 1e-9
const chartMax = 16

function strength(p: number): number {
  return Math.min(chartMax, -Math.log10(Math.max(p, 1e-300)))
}

function CandidateLabel({ candidate }: { candidate: TraceCandidate }) {
  const entry = usePerson(candidate.handle)
  const device = entry?.devices.find((d) => d.deviceId === candidate.device)
  return (
    <>
      {entry?.displayName ?? candidate.handle}&apos;s device &quot;{device?.name ?? candidate.device}&quot;
    </>
  )
}

function ScoreChart({ candidates }: { candidates: TraceCandidate[] }) {
  const rowH = 28
  const left = 230
  const width = 640
  const scale = (width - left - 90) / chartMax
  const x = (v: number) => left + v * scale
  const height = candidates.length * rowH + 40
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-title" width="100%">
        <title id="chart-title">
          Evidence against each recipient device compared with the attribution threshold
        </title>
        {candidates.map((c, i) => {
          const s = strength(c.adjustedP)
          const y = i * rowH + 8
          return (
            <g key={`${c.handle}/${c.device}`}>
              <text x={left - 8} y={y + 15} textAnchor="end" className="chart-label">
                {c.handle} · {c.device.slice(0, 10)}
              </text>
              <rect
                x={left}
                y={y + 3}
                width={Math.max(1, s * scale)}
                height={rowH - 10}
                className={`bar band-${c.band}`}
              />
              <text x={x(s) + 4} y={y + 15} className="chart-value">
                p={c.adjustedP.toExponential(1)}
              </text>
            </g>
          )
        })}
        <line x1={x(6)} x2={x(6)} y1={0} y2={height - 24} className="threshold" />
        <text x={x(6)} y={height - 8} textAnchor="middle" className="chart-axis">
          attribution threshold (1e-6)
        </text>
        <line x1={x(9)} x2={x(9)} y1={0} y2={height - 24} className="threshold conclusive" />
      </svg>
      <figcaption className="muted small">
        Bar length: −log₁₀ of the adjusted p-value (the chance an innocent device agrees this well). Right of
        the line: attributable; past 1e-9: conclusive.
      </figcaption>
    </figure>
  )
}

function Verdict({ result }: { result: TraceResult }) {
  const top = result.candidates[0]
  if (top === undefined) return <p>No recipient device could be scored.</p>
  const band =
    top.adjustedP <= conclusive
      ? "conclusive"
      : top.adjustedP <= attributable
        ? "attributable"
        : "inconclusive"
  return (
    <div
      className={`verdict band-${band}`}
      role="status"
      data-testid="verdict"
      data-band={band}
      data-device={top.device}
      data-handle={top.handle}
    >
      <h2>
        {band === "inconclusive" ? "Inconclusive" : band === "conclusive" ? "Conclusive" : "Attributable"}
      </h2>
      {band === "inconclusive" ? (
        <p>
          The leaked copy does not carry enough readable marks to single out any device. This does not clear
          anyone: it means the evidence is too weak either way.
        </p>
      ) : (
        <p>
          The leaked copy matches the copy shown on{" "}
          <strong>
            <CandidateLabel candidate={top} />
          </strong>
          . The chance that an innocent device matches this well is at most {top.adjustedP.toExponential(1)},
          already corrected for every device tested.
        </p>
      )}
    </div>
  )
}

export function LeakCheckScreen() {
  const engine = useEngine()
  const [text, setText] = useState("")
  const [result, setResult] = useState<TraceResult | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const textId = useId()
  const fileId = useId()

  const run = (leak: Leak) => {
    setBusy(true)
    setError(undefined)
    setResult(undefined)
    engine.api
      .trace([leak])
      .then(setResult)
      .catch((err: unknown) => {
        setError(err instanceof Error ? err.message : "The check failed.")
      })
      .finally(() => {
        setBusy(false)
      })
  }
  const runImage = (blob: Blob) => {
    decodeCanvasImage(blob).then(
      (image) => {
        run({ kind: "image", image })
      },
      () => {
        setError("That file is not an image this browser can read.")
      },
    )
  }
  const onDrop = (event: DragEvent) => {
    event.preventDefault()
    const file = event.dataTransfer.files[0]
    if (file !== undefined) runImage(file)
  }
  const submitText = (event: SyntheticEvent) => {
    event.preventDefault()
    if (text.trim() !== "") run({ kind: "text", text })
  }
  const leak = result?.leaks[0]
  return (
    <section className="page leak" aria-labelledby="leak-title">
      <h1 id="leak-title">Leak check</h1>
      <p className="muted">
        Every recipient&apos;s device was shown its own subtly different copy of what you wrote. Give a leaked
        copy — pasted text or a screenshot — to find which of your messages it shows and whose copy it is.
      </p>
      <div className="leak-inputs">
        <form onSubmit={submitText} className="leak-text">
          <label htmlFor={textId}>Leaked text</label>
          <textarea id={textId} rows={5} value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit" className="primary" disabled={busy || text.trim() === ""}>
            Check text
          </button>
        </form>
        <div
          className="dropzone"
          onDragOver={(e) => {
            e.preventDefault()
          }}
          onDrop={onDrop}
        >
          <p>Drop a screenshot here, or</p>
          <label htmlFor={fileId} className="button">
            Choose an image…
          </label>
          <input
            id={fileId}
            type="file"
            accept="image/png,image/jpeg,image/webp"
            className="visually-hidden"
            data-testid="leak-file"
            onChange={(e) => {
              const file = e.target.files?.[0]
              if (file !== undefined) runImage(file)
            }}
          />
        </div>
      </div>
      {busy && (
        <p className="muted" role="status">
          Checking…
        </p>
      )}
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result !== undefined && leak !== undefined && (
        <div className="leak-result">
          <h2>The leaked message</h2>
          <blockquote data-testid="leak-message">{leak.text}</blockquote>
          <p className="muted small">
            Sent {formatWhen(leak.sentAt)} · read {leak.readable} of {leak.slots} marks from the {leak.source}
            {leak.stripped ? " · invisible marks were stripped from this text" : ""}
          </p>
          <Verdict result={result} />
          <ScoreChart candidates={result.candidates} />
          <RecordBreach result={result} />
          <h2>What this proves — and what it does not</h2>
          <ul className="explain">
            <li>
              It shows whose <em>copy</em> was leaked: the device that received it, not the person who took
              the photo or typed it out. A device can be lost, shared or compromised.
            </li>
            <li>
              Innocent devices match only by chance; the p-value bounds that chance, so an
              &quot;attributable&quot; result is very unlikely to point at the wrong device.
            </li>
            <li>
              A retyped or paraphrased leak keeps few marks: the result is then inconclusive, which is not
              evidence of innocence.
            </li>
          </ul>
        </div>
      )}
    </section>
  )
}
