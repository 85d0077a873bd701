import type { TestProject } from 'vitest/node'
import { freePort, startTestCluster } from '@sundial/devnet'

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string
  }
}

// One Postgres cluster for the whole run; each test file makes its own database in it.
export default async function setup(project: TestProject) {
  const cluster = await startTestCluster(await freePort())
  project.provide('pgAdminUrl', cluster.adminUrl)
  return async () => {
    await cluster.stop()
  }
}
