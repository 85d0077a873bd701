import { drawLegend, drawLineChart } from './charts.js'

const POLL_MS = 2000
const WINDOW_MS = 60 * 60 * 1000
const COLORS = {
  post: '#2563eb',
  like: '#db2777',
  repost: '#16a34a',
  follow: '#d97706',
  profile: '#7c3aed',
  identity: '#64748b',
  account: '#0891b2',
}
const EXTRA_COLORS = ['#0d9488', '#b45309', '#9333ea', '#be123c', '#4d7c0f']

const state = { samples: [], lastSnapshot: null, failures: 0 }

// ---- formatting

const nf = new Intl.NumberFormat('en', { maximumFractionDigits: 1 })
const num = (v) => (v === null || v === undefined ? '–' : nf.format(v))

function duration(ms) {
  if (ms === null || ms === undefined) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${nf.format(ms / 1000)} s`
  if (ms < 3_600_000) return `${nf.format(ms / 60_000)} min`
  if (ms < 86_400_000) return `${nf.format(ms / 3_600_000)} h`
  return `${nf.format(ms / 86_400_000)} d`
}

function ago(at, now = Date.now()) {
  if (!at) return '–'
  const t = typeof at === 'number' ? at : Date.parse(at)
  return `${duration(Math.max(0, now - t))} ago`
}

function colorOf(name, i) {
  return COLORS[name] ?? EXTRA_COLORS[i % EXTRA_COLORS.length]
}

// ---- DOM helpers (text only: nothing from the API is ever parsed as HTML)

function setField(name, text, title) {
  for (const el of document.querySelectorAll(`[data-field="${name}"]`)) {
    el.textContent = text
    if (title !== undefined) el.title = title
  }
}

function el(tag, text, className) {
  const node = document.createElement(tag)
  if (text !== undefined && text !== null) node.textContent = String(text)
  if (className) node.className = className
  return node
}

function fillTable(id, rows) {
  const table = document.getElementById(id)
  const body = table.tBodies[0]
  body.replaceChildren(...rows)
  table.hidden = rows.length === 0
  const empty = document.querySelector(`[data-empty="${id}"]`)
  if (empty) empty.hidden = rows.length > 0
}

function row(cells) {
  const tr = document.createElement('tr')
  for (const c of cells) {
    if (c instanceof Node) {
      const td = document.createElement('td')
      td.append(c)
      tr.append(td)
    } else if (c && typeof c === 'object') {
      const td = el('td', c.text, c.className)
      if (c.title) td.title = c.title
      tr.append(td)
    } else {
      tr.append(el('td', c ?? '–'))
    }
  }
  return tr
}

function who(did, handle) {
  const span = el('span', handle ? `@${handle}` : did, 'who')
  span.title = did
  return span
}

function toast(text, kind = 'ok') {
  const t = document.getElementById('toast')
  t.textContent = text
  t.className = `toast ${kind}`
  t.hidden = false
  clearTimeout(toast.timer)
  toast.timer = setTimeout(() => (t.hidden = true), 4000)
}

// ---- rendering

function render(s) {
  const now = s.now
  const ingest = s.ingest
  setField('ingest-rate', num(ingest.totalPerSec))
  setField(
    'ingest-connected',
    !ingest.available
      ? 'firehose: not reporting'
      : ingest.connected === false
        ? 'firehose: disconnected'
        : ingest.paused
          ? 'firehose: paused (backpressure)'
          : 'firehose: connected',
  )
  setField('ingest-queue', num(ingest.queueDepth))

  const cursors = s.cursors.available ? s.cursors.rows : []
  const main = cursors.find((c) => c.name === 'firehose') ?? cursors[0]
  const lag = s.sample?.cursorLagMs ?? main?.lagMs ?? null
  setField('cursor-lag', duration(lag))
  setField('cursor-at', main ? new Date(Math.floor(main.timeUs / 1000)).toLocaleTimeString() : '–')
  document.querySelector('[data-field="cursor-lag"]').classList.toggle('bad', lag !== null && lag > 60_000)

  const b = s.backfill
  setField('backfill-depth', b.available ? num(b.depth) : '–')
  setField('backfill-inflight', b.available ? num(b.inFlight) : '–')
  setField('backfill-failed', b.available ? num(b.failed) : '–')
  setField(
    'backfill-source',
    b.available ? `(${b.source === 'table' ? 'queue table' : 'live stats'})` : `(${b.reason})`,
  )

  const u = s.users
  setField('users-total', u.available ? num(u.summary.total) : '–')
  setField('users-complete', u.available ? `${num(u.summary.complete)} of ${num(u.summary.total)}` : '–')
  setField('users-active', u.available ? num(u.summary.activeLastDay) : '–')

  const d = s.drafts
  for (const k of ['scheduled', 'publishing', 'published', 'confirmed', 'unconfirmed', 'failed']) {
    setField(`drafts-${k}`, d.available ? num(d.counts[k]) : '–')
  }
  setField('drafts-due', d.available ? num(d.counts.dueNextHour) : '–')
  const sched = s.scheduler
  setField(
    'scheduler-live',
    !sched.available
      ? 'scheduler: no recent activity'
      : [
          sched.lastLatenessMs !== null ? `last publish ${duration(sched.lastLatenessMs)} after due` : null,
          sched.wantedDids !== null ? `watching ${num(sched.wantedDids)} accounts for confirmation` : null,
        ]
          .filter(Boolean)
          .join(' · '),
  )
  setField('confirm-p50', d.available ? duration(d.confirmLatency.p50Ms) : '–')
  setField('confirm-p99', d.available ? duration(d.confirmLatency.p99Ms) : '–')
  setField('confirm-n', d.available ? num(d.confirmLatency.count) : '0')
  setField('failed-count', d.available ? num(d.counts.failed) : '–')
  setField('unconfirmed-count', d.available ? num(d.counts.unconfirmed) : '–')

  fillTable(
    'table-failed',
    d.available
      ? d.failed.map((f) => {
          const actions = el('span', null, 'actions')
          const retry = el('button', 'Retry')
          retry.dataset.action = 'retry'
          retry.dataset.id = f.id
          const cancel = el('button', 'Cancel', 'quiet')
          cancel.dataset.action = 'cancel'
          cancel.dataset.id = f.id
          actions.append(retry, cancel)
          const tr = row([
            ago(f.updatedAt, now),
            who(f.ownerDid, f.handle),
            { text: f.uri, className: 'mono', title: `${f.operation} · draft ${f.id}` },
            { text: num(f.attempts), className: 'num' },
            { text: f.reason ?? 'no reason recorded', className: 'reason' },
            actions,
          ])
          tr.dataset.draft = f.id
          return tr
        })
      : [],
  )

  fillTable(
    'table-unconfirmed',
    d.available
      ? d.unconfirmed.map((f) =>
          row([
            ago(f.publishedAt, now),
            who(f.ownerDid, f.handle),
            { text: f.uri, className: 'mono' },
            { text: f.reason ?? 'not seen on Jetstream', className: 'reason' },
          ]),
        )
      : [],
  )

  const names = Object.keys(ingest.byCollection).sort()
  const total = names.reduce((sum, n) => sum + ingest.byCollection[n], 0)
  fillTable(
    'table-collections',
    names.map((n, i) => {
      const swatch = el('i', null, 'swatch')
      swatch.style.background = colorOf(n, i)
      const label = el('span')
      label.append(swatch, document.createTextNode(n))
      const share = total > 0 ? `${Math.round((100 * ingest.byCollection[n]) / total)} %` : '–'
      return row([
        label,
        { text: num(ingest.byCollection[n]), className: 'num' },
        { text: share, className: 'num' },
      ])
    }),
  )
  fillTable(
    'table-cursors',
    cursors.map((c) =>
      row([
        c.name,
        new Date(Math.floor(c.timeUs / 1000)).toLocaleString(),
        { text: duration(c.lagMs), className: 'num' },
      ]),
    ),
  )

  fillTable(
    'table-hosts',
    b.available
      ? b.byHost.map((h) =>
          row([
            h.host,
            { text: num(h.queued), className: 'num' },
            { text: num(h.inFlight), className: 'num' },
            { text: num(h.failed), className: 'num' },
          ]),
        )
      : [],
  )
  fillTable(
    'table-backfill-failures',
    b.available
      ? b.recentFailures.map((f) => {
          // A retrying job is already back in the queue; only one that gave up needs the operator.
          let action = el('span', `retrying (attempt ${f.attempts})`, 'pill warn')
          if (f.state === 'failed') {
            action = el('button', 'Re-queue')
            action.dataset.action = 'requeue'
            action.dataset.id = f.id
          }
          const tr = row([
            ago(f.at, now),
            who(f.did, null),
            f.host ?? '–',
            { text: f.error, className: 'reason' },
            action,
          ])
          tr.dataset.job = f.id
          return tr
        })
      : [],
  )

  fillTable(
    'table-users',
    u.available
      ? u.rows.map((r) => {
          const status = r.completeSince
            ? el('span', `complete since ${new Date(r.completeSince).toLocaleString()}`, 'pill ok')
            : r.timelineBuiltAt
              ? el('span', 'backfilling', 'pill warn')
              : el('span', 'not built', 'pill')
          return row([who(r.did, r.handle), status, ago(r.lastSeenAt, now)])
        })
      : [],
  )

  const errors = document.getElementById('errors')
  errors.replaceChildren(
    ...s.errors.map((e) => {
      const li = el('li')
      li.append(
        el('span', ago(e.at, now), 'when'),
        el('span', e.source, 'source'),
        el('span', e.message, 'message'),
      )
      return li
    }),
  )
  document.querySelector('[data-empty="errors"]').hidden = s.errors.length > 0
}

/** The charts span what has been sampled, from one minute up to the hour the page keeps. */
function chartWindow(now) {
  const first = state.samples[0]?.t ?? now
  const spans = [60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 20 * 60_000, 30 * 60_000, WINDOW_MS]
  return spans.find((s) => s >= now - first) ?? WINDOW_MS
}

function drawCharts(now) {
  const samples = state.samples
  const windowMs = chartWindow(now)
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.byCollection)))].sort()
  const ingestSeries = names.map((n, i) => ({
    label: n,
    color: colorOf(n, i),
    points: samples.map((s) => ({ t: s.t, v: s.byCollection[n] ?? null })),
  }))
  if (ingestSeries.length === 0) {
    ingestSeries.push({
      label: 'all',
      color: '#2563eb',
      points: samples.map((s) => ({ t: s.t, v: s.ingestPerSec })),
    })
  }
  drawLineChart(document.getElementById('chart-ingest'), { series: ingestSeries, now, windowMs, format: num })
  drawLegend(document.getElementById('legend-ingest'), ingestSeries)

  const lagSeries = [
    { label: 'cursor lag', color: '#0891b2', points: samples.map((s) => ({ t: s.t, v: s.cursorLagMs })) },
  ]
  drawLineChart(document.getElementById('chart-lag'), {
    series: lagSeries,
    now,
    windowMs,
    format: duration,
    fill: true,
  })
  drawLegend(document.getElementById('legend-lag'), lagSeries)

  const queueSeries = [
    {
      label: 'backfill queued',
      color: '#d97706',
      points: samples.map((s) => ({ t: s.t, v: s.backfillDepth })),
    },
    {
      label: 'backfill in flight',
      color: '#7c3aed',
      points: samples.map((s) => ({ t: s.t, v: s.backfillInFlight })),
    },
    {
      label: 'publishing',
      color: '#16a34a',
      points: samples.map((s) => ({ t: s.t, v: s.draftsPublishing })),
    },
  ]
  drawLineChart(document.getElementById('chart-queues'), {
    series: queueSeries,
    now,
    windowMs,
    format: num,
    minMax: 4,
  })
  drawLegend(document.getElementById('legend-queues'), queueSeries)
}

function addSamples(samples) {
  const last = state.samples.at(-1)?.t ?? 0
  for (const s of samples) if (s.t > last) state.samples.push(s)
  const cutoff = Date.now() - WINDOW_MS
  while (state.samples.length > 0 && state.samples[0].t < cutoff) state.samples.shift()
}

// ---- network

async function api(path, init) {
  const res = await fetch(path, { credentials: 'same-origin', ...init })
  if (res.status === 401) {
    location.href = 'login'
    throw new Error('signed out')
  }
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(body.message || `HTTP ${res.status}`)
  return body
}

async function poll() {
  let snapshot
  let history
  try {
    const since = state.samples.at(-1)?.t ?? 0
    ;[snapshot, history] = await Promise.all([api('api/live'), api(`api/history?since=${since}`)])
  } catch (err) {
    state.failures++
    document.getElementById('updated').textContent = `connection problem: ${err.message}`
    document.getElementById('live-dot').className = 'dot down'
    return
  }
  state.failures = 0
  addSamples(history.samples)
  state.lastSnapshot = snapshot
  // Rendering errors are bugs, not connection problems: let them reach the console.
  render(snapshot)
  drawCharts(snapshot.now)
  document.getElementById('updated').textContent = `updated ${new Date(snapshot.now).toLocaleTimeString()}`
  document.getElementById('live-dot').className = 'dot live'
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]')
  if (!button) return
  const { action, id } = button.dataset
  const url =
    action === 'requeue'
      ? `api/backfill/${encodeURIComponent(id)}/requeue`
      : `api/drafts/${encodeURIComponent(id)}/${action}`
  if (action === 'cancel' && !confirm('Cancel this draft? It will not be published.')) return
  button.disabled = true
  try {
    await api(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    toast(
      action === 'retry'
        ? 'Draft queued to publish again.'
        : action === 'cancel'
          ? 'Draft cancelled.'
          : 'Backfill re-queued.',
    )
    await poll()
  } catch (err) {
    toast(`Could not ${action}: ${err.message}`, 'bad')
    button.disabled = false
  }
})

window.addEventListener('resize', () => state.lastSnapshot && drawCharts(state.lastSnapshot.now))

await poll()
setInterval(poll, POLL_MS)
