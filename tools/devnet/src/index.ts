export * from './postgres.ts'
export * from './plans.ts'
export * from './ports.ts'
export * from './network.ts'
