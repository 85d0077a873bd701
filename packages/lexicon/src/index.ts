// Generated server code for Sundial's own lexicons (lexicons/**); regenerate with `npm run lexgen`.
// Per-method types: import from '@sundial/lexicon/types/<nsid path>'.
export { createServer, Server } from './lexicon-gen/index.ts'
export { ids, lexicons, schemaDict, schemas, validate } from './lexicon-gen/lexicons.ts'
