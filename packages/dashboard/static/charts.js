// Line charts drawn on a canvas: no library, nothing fetched from outside.

const AXIS = '#94a3b8'
const GRID = '#e2e8f0'
const TEXT = '#475569'

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{ series: { label: string, color: string, points: { t: number, v: number | null }[] }[],
 *           now: number, windowMs: number, format: (v: number) => string, fill?: boolean, minMax?: number }} opts
 */
export function drawLineChart(canvas, opts) {
  const dpr = window.devicePixelRatio || 1
  const cssWidth = canvas.clientWidth || 600
  const cssHeight = canvas.clientHeight || 180
  if (canvas.width !== Math.round(cssWidth * dpr)) canvas.width = Math.round(cssWidth * dpr)
  if (canvas.height !== Math.round(cssHeight * dpr)) canvas.height = Math.round(cssHeight * dpr)
  const ctx = canvas.getContext('2d')
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
  ctx.clearRect(0, 0, cssWidth, cssHeight)
  ctx.font = '11px system-ui, sans-serif'

  const left = 56
  const right = 10
  const top = 10
  const bottom = 22
  const w = cssWidth - left - right
  const h = cssHeight - top - bottom
  const start = opts.now - opts.windowMs

  let max = 0
  for (const s of opts.series)
    for (const p of s.points) if (p.v !== null && p.t >= start && p.v > max) max = p.v
  const yMax = niceCeiling(Math.max(max, opts.minMax ?? 0))

  // Horizontal grid with value labels.
  ctx.strokeStyle = GRID
  ctx.fillStyle = TEXT
  ctx.lineWidth = 1
  ctx.textAlign = 'right'
  ctx.textBaseline = 'middle'
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4
    const y = top + h - (h * i) / 4
    ctx.beginPath()
    ctx.moveTo(left, Math.round(y) + 0.5)
    ctx.lineTo(left + w, Math.round(y) + 0.5)
    ctx.stroke()
    ctx.fillText(opts.format(v), left - 6, y)
  }

  // Time axis: at most seven ticks, labelled relative to now.
  ctx.textAlign = 'center'
  ctx.textBaseline = 'top'
  const steps = [10_000, 20_000, 30_000, 60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000]
  const stepMs = steps.find((s) => opts.windowMs / s <= 6) ?? 15 * 60_000
  for (let ago = 0; ago <= opts.windowMs; ago += stepMs) {
    const x = left + w - (w * ago) / opts.windowMs
    ctx.strokeStyle = AXIS
    ctx.beginPath()
    ctx.moveTo(Math.round(x) + 0.5, top + h)
    ctx.lineTo(Math.round(x) + 0.5, top + h + 4)
    ctx.stroke()
    const label = ago === 0 ? 'now' : ago < 60_000 ? `−${ago / 1000} s` : `−${Math.round(ago / 60_000)} min`
    ctx.fillText(label, x, top + h + 6)
  }

  const xOf = (t) => left + (w * (t - start)) / opts.windowMs
  const yOf = (v) => top + h - (h * v) / yMax

  for (const s of opts.series) {
    const pts = s.points.filter((p) => p.t >= start)
    ctx.strokeStyle = s.color
    ctx.lineWidth = 1.75
    ctx.lineJoin = 'round'
    let run = []
    const flush = () => {
      if (run.length === 0) return
      if (opts.fill && opts.series.length === 1 && run.length > 1) {
        ctx.beginPath()
        ctx.moveTo(xOf(run[0].t), top + h)
        for (const p of run) ctx.lineTo(xOf(p.t), yOf(p.v))
        ctx.lineTo(xOf(run[run.length - 1].t), top + h)
        ctx.closePath()
        ctx.globalAlpha = 0.12
        ctx.fillStyle = s.color
        ctx.fill()
        ctx.globalAlpha = 1
      }
      ctx.beginPath()
      run.forEach((p, i) => (i === 0 ? ctx.moveTo(xOf(p.t), yOf(p.v)) : ctx.lineTo(xOf(p.t), yOf(p.v))))
      if (run.length === 1) ctx.arc(xOf(run[0].t), yOf(run[0].v), 1.5, 0, Math.PI * 2)
      ctx.stroke()
      run = []
    }
    // A missing value breaks the line instead of drawing a false zero.
    for (const p of pts) {
      if (p.v === null || p.v === undefined) flush()
      else run.push(p)
    }
    flush()
  }

  ctx.strokeStyle = AXIS
  ctx.beginPath()
  ctx.moveTo(left + 0.5, top)
  ctx.lineTo(left + 0.5, top + h + 0.5)
  ctx.lineTo(left + w, top + h + 0.5)
  ctx.stroke()
}

/** 0 → 1; otherwise the next 1, 2, 4, 6 or 8 × 10ⁿ at or above the value (quarters stay round). */
export function niceCeiling(v) {
  if (!(v > 0)) return 1
  const exp = Math.pow(10, Math.floor(Math.log10(v)))
  for (const m of [1, 2, 4, 6, 8, 10]) if (m * exp >= v) return m * exp
  return 10 * exp
}

/** @param {HTMLElement} el @param {{ label: string, color: string }[]} series */
export function drawLegend(el, series) {
  el.replaceChildren(
    ...series.map((s) => {
      const item = document.createElement('span')
      const swatch = document.createElement('i')
      swatch.style.background = s.color
      item.append(swatch, document.createTextNode(s.label))
      return item
    }),
  )
}
