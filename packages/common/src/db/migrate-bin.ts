// `npm run migrate`: apply pending migrations to DATABASE_URL, or to the embedded Postgres under DATA_DIR.
import { migrateToLatest } from './database.ts'
import { openDatabase, readDatabaseConfig } from './open.ts'

const database = await openDatabase(readDatabaseConfig(process.env), 'sundial-migrate')
try {
  const { applied } = await migrateToLatest(database.db)
  process.stdout.write(JSON.stringify({ applied }) + '\n')
} finally {
  await database.close()
}
