// The reference point of the delivery benchmarks: @segment/analytics-node
// sending events to the segbridge mock. Events come from an NDJSON file (one
// Segment message with its type per line, as `segbridge import` reads them)
// or are generated: N track events with five small properties.
// Usage: node bench.mjs --url URL [--file F | --events N] [--flush-at N]
//        [--flush-interval MS] [--http-timeout MS]      (see README.md)
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Analytics } from '@segment/analytics-node'

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    file: { type: 'string' },
    events: { type: 'string', default: '200000' },
    'flush-at': { type: 'string', default: '15' }, // the library's default
    'flush-interval': { type: 'string', default: '10000' }, // idem
    'http-timeout': { type: 'string', default: '10000' }, // idem
  },
})
if (!opt.url) throw new Error('--url is required')

// Parsed before the clock starts: only sending is timed.
const messages = opt.file
  ? readFileSync(opt.file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
  : Array.from({ length: Number(opt.events) }, (_, i) => ({
      type: 'track',
      userId: `user-${i % 1000}`,
      event: 'Order Completed',
      properties: { plan: 'pro', items: i, revenue: 19.99, gift: false, currency: 'EUR' },
    }))

const flushAt = Number(opt['flush-at'])
const analytics = new Analytics({
  writeKey: 'bench',
  host: opt.url,
  flushAt,
  flushInterval: Number(opt['flush-interval']),
  httpRequestTimeout: Number(opt['http-timeout']),
})
let delivered = 0
let failed = 0

let peak = 0
const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 50)
const t0 = process.hrtime.bigint()
for (let i = 0; i < messages.length; i++) {
  const { type, ...fields } = messages[i]
  analytics[type](fields, (err) => (err ? failed++ : delivered++))
  // let the event loop send between chunks, as a server would
  if (i % 1000 === 999) await new Promise((r) => setImmediate(r))
}
await analytics.closeAndFlush({ timeout: 600000 })
const secs = Number(process.hrtime.bigint() - t0) / 1e9
clearInterval(sample)
peak = Math.max(peak, process.memoryUsage().rss)
console.log(`analytics-node: ${messages.length} events, flushAt ${flushAt}, ` +
  `flushInterval ${opt['flush-interval']} ms, httpRequestTimeout ${opt['http-timeout']} ms`)
console.log(`  delivered ${delivered}, failed ${failed} in ${secs.toFixed(2)} s: ` +
  `${Math.round(delivered / secs)} events/s`)
console.log(`  peak RSS sampled: ${(peak / 1048576).toFixed(1)} MiB`)
