/**
 * Puts `value` under `key` as the most recent entry of `map` (a Map keeps insertion order) and drops
 * the oldest entries beyond `max`: the bounded per-process memories of the screening services.
 */
export function keepRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
  map.delete(key)
  map.set(key, value)
  dropOldest(map, max)
  return value
}

/** Drops the oldest entries of `map` (insertion order) beyond `max`. */
export function dropOldest<K, V>(map: Map<K, V>, max: number): void {
  for (const oldest of map.keys()) {
    if (map.size <= max) break
    map.delete(oldest)
  }
}
