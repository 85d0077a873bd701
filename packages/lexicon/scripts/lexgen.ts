// Regenerates packages/lexicon/src/lexicon-gen from every lexicon JSON under lexicons/ (`npm run lexgen`).
// lex-cli writes CommonJS-style output; two rewrites make it fit this ESM workspace:
// - relative imports get an explicit `.ts` extension;
// - `multiformats/cid` (untyped under NodeNext) is dropped, or replaced by the CID type BlobRef carries;
// - references to namespaces we do not generate (app.bsky, com.atproto, ...) import their types from
//   @atproto/api, which ships the official lexicons the AppView serves.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const repoRoot = path.resolve(packageDir, '../..')
const lexiconDir = path.join(repoRoot, 'lexicons')
const outDir = path.join(packageDir, 'src/lexicon-gen')

async function listJson(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
}

async function listTs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
}

function rewriteImports(file: string, source: string): string {
  const resolveLocal = (spec: string): string | undefined => {
    const bare = spec.replace(/\.js$/, '')
    return existsSync(path.resolve(path.dirname(file), `${bare}.ts`)) ? `${bare}.ts` : undefined
  }
  // multiformats 9 ships no types reachable under NodeNext; the generated code only needs CID as a type.
  const cidImport = /^import \{ CID \} from 'multiformats\/cid'\n/m
  const cidUsed = /\bCID\b/.test(source.replace(cidImport, ''))
  return source
    .replace(cidImport, cidUsed ? "type CID = BlobRef['ref']\n" : '')
    .replace(/^import type \* as (\w+) from '(\.{1,2}\/[^']+)'$/gm, (whole, ns: string, spec: string) =>
      resolveLocal(spec) ? whole : `import type { ${ns} } from '@atproto/api'`,
    )
    .replace(/ from '(\.{1,2}\/[^']+)'/g, (_whole, spec: string) => {
      const local = resolveLocal(spec)
      if (!local) throw new Error(`${path.relative(packageDir, file)}: cannot resolve import '${spec}'`)
      return ` from '${local}'`
    })
}

async function main(): Promise<void> {
  const files = await listJson(lexiconDir)
  if (files.length === 0) throw new Error(`no lexicons under ${lexiconDir}`)
  const require = createRequire(import.meta.url)
  const lexCli = require.resolve('@atproto/lex-cli')
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'sundial-lexgen-'))
  try {
    const genDir = path.join(tmp, 'lexicon-gen')
    execFileSync(process.execPath, [lexCli, 'gen-server', '--yes', genDir, ...files], { stdio: 'inherit' })
    for (const file of await listTs(genDir)) {
      const source = await readFile(file, 'utf8')
      await writeFile(file, rewriteImports(file, source))
    }
    await rm(outDir, { recursive: true, force: true })
    await cp(genDir, outDir, { recursive: true })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  process.stdout.write(`generated ${files.length} lexicons into ${path.relative(repoRoot, outDir)}\n`)
}

await main()
