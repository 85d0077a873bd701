// Parsers used by each service's config.ts, the only modules that read process.env.
// Each failure names the variable so a bad deployment says what to fix.

export type Env = Record<string, string | undefined>

export function envString(env: Env, name: string, fallback?: string): string | undefined {
  const value = env[name]
  if (value === undefined || value === '') return fallback
  return value
}

export function envRequired(env: Env, name: string): string {
  const value = envString(env, name)
  if (value === undefined) throw new Error(`${name} must be set`)
  return value
}

export function envInt(env: Env, name: string, fallback: number, min = 0): number {
  const raw = envString(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`)
  }
  return value
}

export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = envString(env, name)
  if (raw === undefined) return fallback
  if (/^(1|true|yes|on)$/i.test(raw)) return true
  if (/^(0|false|no|off)$/i.test(raw)) return false
  throw new Error(`${name} must be true or false, got "${raw}"`)
}

export function envUrl(env: Env, name: string, fallback?: string): string | undefined {
  const raw = envString(env, name, fallback)
  if (raw === undefined) return undefined
  try {
    new URL(raw)
  } catch {
    throw new Error(`${name} must be a URL, got "${raw}"`)
  }
  return raw
}
