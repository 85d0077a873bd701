import { Registry, collectDefaultMetrics } from 'prom-client'

/** One registry per process; each service declares its metrics against it in its own metrics.ts. */
export function createMetricsRegistry(prefix = 'sundial_'): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix })
  return registry
}
