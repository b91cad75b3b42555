import { useEffect, useState } from 'react'

/**
 * State kept in sessionStorage under `key`, so a typed note or a half-filled
 * form survives a reload of the tab. `clear()` once it has been saved.
 */
export function useDraft<T>(key: string, initial: T): [T, (value: T) => void, () => void] {
  const storageKey = `analylit.draft.${key}`
  const read = (): T => {
    const saved = sessionStorage.getItem(storageKey)
    if (saved === null) return initial
    try { return JSON.parse(saved) as T } catch { return initial }
  }
  const [value, setValue] = useState<T>(read)
  // A new key (another record's note): load its draft.
  useEffect(() => setValue(read()), [storageKey])
  const set = (next: T) => {
    setValue(next)
    sessionStorage.setItem(storageKey, JSON.stringify(next))
  }
  const clear = () => {
    sessionStorage.removeItem(storageKey)
    setValue(initial)
  }
  return [value, set, clear]
}
