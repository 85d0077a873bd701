import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import { describe, expect, it } from 'vitest'
import { templatePlaceholders } from './nginx-runner.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const SUNDIAL_SERVICES = ['firehose', 'appview', 'scheduler'] as const

interface ComposeService {
  image?: string
  build?: unknown
  command?: string[]
  env_file?: string | string[]
  environment?: Record<string, string>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
  ports?: string[]
  profiles?: string[]
}

interface ComposeFile {
  services: Record<string, ComposeService>
  volumes: Record<string, unknown>
}

const read = (p: string) => readFile(path.join(ROOT, p), 'utf8')

async function composeFile(): Promise<{ text: string; doc: ComposeFile }> {
  const text = await read('docker-compose.yml')
  return { text, doc: yaml.load(text) as ComposeFile }
}

/** Names in .env.example (`NAME=value`, one per line). */
async function documentedVariables(): Promise<Set<string>> {
  const text = await read('.env.example')
  return new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))
}

/** Every variable a config module reads through the shared env parsers (`envInt(env, 'NAME', …)`). */
async function configVariables(): Promise<Set<string>> {
  const names = new Set<string>()
  const roots = ['services', 'packages']
  for (const root of roots) {
    for (const file of await listTs(path.join(ROOT, root))) {
      const text = await readFile(file, 'utf8')
      for (const m of text.matchAll(/\benv[A-Z]\w*\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(m[1])
    }
  }
  return names
}

async function listTs(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'static') continue
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await listTs(p)))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(p)
  }
  return out
}

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}` references in the compose file ($$ escapes excluded). */
function interpolations(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<!\$)\$\{([A-Z][A-Z0-9_]*)(?:[:?-][^}]*)?\}/g)].map((m) => m[1]))
}

describe('docker-compose.yml', () => {
  it('has every service with health checks, and the Sundial ones wait for healthy dependencies', async () => {
    const { doc } = await composeFile()
    expect(Object.keys(doc.services).sort()).toEqual(
      ['appview', 'certbot', 'firehose', 'migrate', 'nginx', 'postgres', 'redis', 'scheduler'].sort(),
    )
    expect(doc.services.postgres.image).toMatch(/^postgres:17/)
    expect(doc.services.postgres.healthcheck?.test.join(' ')).toContain('pg_isready')
    expect(doc.services.postgres.volumes).toContain('postgres-data:/var/lib/postgresql/data')
    expect(doc.services.redis.image).toMatch(/^redis:7/)
    expect(doc.services.redis.healthcheck?.test.join(' ')).toContain('ping')

    const scripts = JSON.parse(await read('package.json')).scripts as Record<string, string>
    for (const name of SUNDIAL_SERVICES) {
      const s = doc.services[name]
      expect(s.command, name).toEqual(['npm', 'run', `start:${name}`])
      expect(scripts[`start:${name}`], name).toBeDefined()
      expect(s.env_file, name).toBe('.env')
      expect(s.environment?.DATABASE_URL, name).toMatch(/^postgres:\/\/.*@postgres:5432\//)
      expect(s.environment?.REDIS_URL, name).toBe('redis://redis:6379')
      expect(s.environment?.PORT, name).toMatch(/^\d+$/)
      expect(s.depends_on?.postgres.condition, name).toBe('service_healthy')
      expect(s.depends_on?.redis.condition, name).toBe('service_healthy')
      expect(s.depends_on?.migrate.condition, name).toBe('service_completed_successfully')
      expect(s.healthcheck?.test.join(' '), name).toContain('/xrpc/_health')
    }
    expect(doc.services.appview.environment?.PORT).toBe('2584')
    expect(doc.services.scheduler.environment?.PORT).toBe('2585')
    expect(doc.services.migrate.command).toEqual(['npm', 'run', 'migrate'])
    expect(scripts.migrate).toBeDefined()

    const nginx = doc.services.nginx
    expect(nginx.ports).toEqual(['80:80', '443:443'])
    expect(nginx.volumes).toContain('./nginx/sundial.conf:/etc/nginx/nginx.conf:ro')
    expect(nginx.volumes).toContain('./nginx/templates:/etc/nginx/templates:ro')
    expect(nginx.volumes?.some((v) => v.startsWith('certbot-conf:/etc/letsencrypt'))).toBe(true)
    expect(nginx.environment?.APPVIEW_UPSTREAM).toBe('appview:2584')
    expect(nginx.environment?.SCHEDULER_UPSTREAM).toBe('scheduler:2585')
    expect(doc.services.certbot.profiles).toEqual(['tls'])
    for (const v of ['postgres-data', 'sundial-data', 'certbot-www', 'certbot-conf'])
      expect(doc.volumes).toHaveProperty(v)
  })

  it('refers only to variables that .env.example documents', async () => {
    const { text } = await composeFile()
    const documented = await documentedVariables()
    const missing = [...interpolations(text)].filter((v) => !documented.has(v))
    expect(missing).toEqual([])
  })

  it('sets only variables the services read, and the services read only documented ones', async () => {
    const { doc } = await composeFile()
    const read = await configVariables()
    // Sanity: the scan finds the variables every service has.
    for (const v of ['DATABASE_URL', 'REDIS_URL', 'PORT', 'LOG_LEVEL', 'JETSTREAM_URL'])
      expect(read.has(v), v).toBe(true)
    for (const name of [...SUNDIAL_SERVICES, 'migrate']) {
      const unknown = Object.keys(doc.services[name].environment ?? {}).filter((v) => !read.has(v))
      expect(unknown, name).toEqual([])
    }
    const documented = await documentedVariables()
    expect([...read].filter((v) => !documented.has(v)).sort()).toEqual([])
  })

  it('gives nginx exactly the variables its templates use', async () => {
    const { doc } = await composeFile()
    const dir = path.join(ROOT, 'nginx/templates')
    const placeholders = new Set<string>()
    for (const f of await readdir(dir)) {
      for (const p of templatePlaceholders(await readFile(path.join(dir, f), 'utf8'))) placeholders.add(p)
    }
    expect(Object.keys(doc.services.nginx.environment ?? {}).sort()).toEqual([...placeholders].sort())
    const documented = await documentedVariables()
    expect([...placeholders].filter((p) => !documented.has(p))).toEqual([])
  })

  it('builds one slim Node 20 image with npm ci', async () => {
    const dockerfile = await read('Dockerfile')
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m)
    expect(dockerfile).toMatch(/npm ci --omit=dev/)
    expect(dockerfile).toMatch(/^USER node$/m)
    const ignore = await read('.dockerignore')
    expect(ignore).toMatch(/^node_modules$/m)
    expect(ignore).toMatch(/^\.env$/m)
  })

  // The Compose CLI is not always installed (the Docker engine never is here); when it is, it must accept the file.
  const composeCli = findComposeCli()
  it.skipIf(!composeCli)(`parses with ${composeCli?.join(' ') ?? 'docker compose'} config`, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sundial-compose-'))
    try {
      await copyFile(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'))
      await writeFile(path.join(dir, '.env'), await read('.env.example'))
      const [cmd, ...args] = composeCli!
      const out = execFileSync(cmd, [...args, '-f', path.join(dir, 'docker-compose.yml'), 'config', '-q'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      expect(out).toBe('')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

function findComposeCli(): string[] | undefined {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    const bin = candidate[0]
    if (!['/usr/bin/', '/usr/local/bin/'].some((d) => existsSync(d + bin))) continue
    const probe = spawnSync(bin, [...candidate.slice(1), 'version'], { stdio: 'ignore' })
    if (probe.status === 0) return candidate
  }
  return undefined
}
