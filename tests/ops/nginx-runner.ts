import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const NGINX_BIN = '/usr/sbin/nginx'
export const NGINX_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../nginx')

/** Values for the `${NAME}` placeholders in nginx/templates, as in .env.example. */
export interface NginxTemplateVars {
  APPVIEW_UPSTREAM: string
  SCHEDULER_UPSTREAM: string
  NGINX_HTTP_LISTEN: string
  NGINX_SERVER_NAME: string
  NGINX_READ_RATE: string
  NGINX_READ_BURST: string
  NGINX_WRITE_RATE: string
  NGINX_WRITE_BURST: string
  NGINX_BLOB_MAX_BODY: string
}

export const ENV_EXAMPLE = path.resolve(NGINX_DIR, '../.env.example')

/** The values .env.example gives the template variables, so tests run what an operator starts from. */
export async function templateDefaults(): Promise<Record<string, string>> {
  const text = await readFile(ENV_EXAMPLE, 'utf8')
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/^((?:NGINX|APPVIEW|SCHEDULER)_[A-Z0-9_]+)=(.*)$/gm)) out[m[1]] = m[2].trim()
  return out
}

const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g

/** The `${NAME}` placeholders a template uses. */
export function templatePlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))]
}

/**
 * What the nginx image's envsubst step does: replaces `${NAME}` for the given names and leaves nginx's own
 * (lower-case) variables alone. A placeholder without a value is an error rather than an empty string.
 */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = vars[name]
    if (value === undefined) throw new Error(`nginx template needs ${name}`)
    return value
  })
}

/** Renders every template into `<confDir>/conf.d/` under the name the nginx image would give it. */
export async function renderTemplates(confDir: string, vars: Record<string, string>): Promise<void> {
  const templates = path.join(NGINX_DIR, 'templates')
  await mkdir(path.join(confDir, 'conf.d'), { recursive: true })
  for (const file of await readdir(templates)) {
    if (!file.endsWith('.template')) continue
    const text = await readFile(path.join(templates, file), 'utf8')
    await writeFile(
      path.join(confDir, 'conf.d', file.slice(0, -'.template'.length)),
      renderTemplate(text, vars),
    )
  }
}

/**
 * nginx/sundial.conf with its host paths (logs) moved into `dir` and temp paths added, so a test runs the
 * production main file unchanged otherwise.
 */
export async function mainConfigFor(dir: string, extraHttp = ''): Promise<string> {
  const text = await readFile(path.join(NGINX_DIR, 'sundial.conf'), 'utf8')
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${path.join(dir, 'temp', t)};`)
    .join('\n')
  const replaced = text.replaceAll('/var/log/nginx/', dir + '/')
  if (replaced.includes('/var/'))
    throw new Error('sundial.conf has a host path the test runner does not relocate')
  return replaced.replace(/^http \{$/m, `http {\n${temps}\n${extraHttp}`)
}

export interface RunningNginx {
  port: number
  url: string
  dir: string
  errorLog(): Promise<string>
  accessLog(): Promise<string>
  stop(): Promise<void>
}

export interface StartNginxOptions {
  port: number
  vars: Omit<Partial<NginxTemplateVars>, 'NGINX_HTTP_LISTEN'> &
    Pick<NginxTemplateVars, 'APPVIEW_UPSTREAM' | 'SCHEDULER_UPSTREAM'>
  /** Edits the rendered files before start (e.g. enabling the TLS block). */
  prepare?: (dir: string) => Promise<void>
}

/** Runs the Debian nginx binary in the foreground with Sundial's config on 127.0.0.1:`port`. */
export async function startNginx(opts: StartNginxOptions): Promise<RunningNginx> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sundial-nginx-'))
  // Workers drop to `nobody` when nginx starts as root; they need to reach the temp paths inside.
  await chmod(dir, 0o755)
  await mkdir(path.join(dir, 'temp'))
  await copyFile('/etc/nginx/mime.types', path.join(dir, 'mime.types'))
  await renderTemplates(dir, {
    ...(await templateDefaults()),
    ...opts.vars,
    NGINX_HTTP_LISTEN: `127.0.0.1:${opts.port}`,
  })
  await writeFile(path.join(dir, 'nginx.conf'), await mainConfigFor(dir))
  await opts.prepare?.(dir)

  const args = [
    '-p',
    dir,
    '-c',
    path.join(dir, 'nginx.conf'),
    '-g',
    `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;`,
  ]
  const test = await run(NGINX_BIN, [...args, '-t'])
  if (test.code !== 0) throw new Error(`nginx -t failed:\n${test.output}`)

  const child = spawn(NGINX_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  try {
    await waitForPort(opts.port, child)
  } catch (err) {
    child.kill('SIGKILL')
    const log = await readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '')
    throw new Error(`nginx did not start: ${(err as Error).message}\n${output}\n${log}`)
  }
  return {
    port: opts.port,
    url: `http://127.0.0.1:${opts.port}`,
    dir,
    errorLog: () => readFile(path.join(dir, 'error.log'), 'utf8').catch(() => ''),
    accessLog: () => readFile(path.join(dir, 'access.log'), 'utf8').catch(() => ''),
    stop: async () => {
      await stopChild(child)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export async function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code: code ?? -1, output }))
  })
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`)
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`)
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGQUIT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
