// Installs the Debian packages the integration tests start for real (Redis, nginx, Chromium),
// when they are missing. Runs before `npm test`; needs root (as on CI) or the packages already present.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const wanted = [
  { pkg: 'redis-server', bin: '/usr/bin/redis-server' },
  { pkg: 'nginx', bin: '/usr/sbin/nginx' },
  { pkg: 'chromium', bin: '/usr/bin/chromium' },
]
const missing = wanted.filter((w) => !existsSync(w.bin)).map((w) => w.pkg)
if (missing.length > 0) {
  if (process.getuid?.() !== 0) {
    console.error(
      `missing system packages: ${missing.join(', ')}; install them (apt-get install ${missing.join(' ')})`,
    )
    process.exit(1)
  }
  console.log(`installing ${missing.join(', ')} with apt-get`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  })
}
