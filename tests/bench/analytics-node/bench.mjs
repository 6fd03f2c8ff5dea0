// The reference point for bench_delivery: @segment/analytics-node sending N
// track events with five small properties to the same loopback mock.
// Usage: node bench.mjs URL [N] [flushAt]    (see README.md beside this)
import { Analytics } from '@segment/analytics-node'

const [url, nArg, flushAtArg] = process.argv.slice(2)
const n = Number(nArg ?? 200000)
const flushAt = Number(flushAtArg ?? 50)
const analytics = new Analytics({
  writeKey: 'bench',
  host: url,
  flushAt,
  maxEventsInBatch: flushAt,
  flushInterval: 1000,
})
let delivered = 0
let failed = 0

let peak = 0
const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 50)
const t0 = process.hrtime.bigint()
for (let i = 0; i < n; i++) {
  analytics.track({
    userId: 'user-1234',
    event: 'Order Completed',
    properties: { plan: 'pro', items: i, revenue: 19.99, gift: false, currency: 'EUR' },
  }, (err) => (err ? failed++ : delivered++))
  // let the event loop send between chunks, as a server would
  if (i % 1000 === 999) await new Promise((r) => setImmediate(r))
}
await analytics.closeAndFlush({ timeout: 600000 })
const secs = Number(process.hrtime.bigint() - t0) / 1e9
clearInterval(sample)
peak = Math.max(peak, process.memoryUsage().rss)
console.log(`analytics-node: ${n} track events, flushAt ${flushAt}, mock on loopback`)
console.log(`  delivered ${delivered}, failed ${failed} in ${secs.toFixed(2)} s: ${Math.round(delivered / secs)} events/s`)
console.log(`  peak RSS: ${(peak / 1048576).toFixed(1)} MiB`)
