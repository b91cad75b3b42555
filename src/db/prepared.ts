/**
 * Named (server-side prepared) statements for the queries of every request: PostgreSQL parses and
 * plans each once per connection instead of once per request. One prepared query per drizzle
 * instance (the pool's, or a transaction's), built on first use.
 */
export function preparedPer<D extends object, P>(prepare: (db: D) => P): (db: D) => P {
  const made = new WeakMap<D, P>()
  return (db) => {
    let prepared = made.get(db)
    if (!prepared) {
      prepared = prepare(db)
      made.set(db, prepared)
    }
    return prepared
  }
}
