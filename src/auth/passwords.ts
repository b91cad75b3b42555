/**
 * Password hashing with node:crypto's scrypt: a random 16-byte salt per
 * password, and the cost parameters stored with the hash
 * (`scrypt$N$r$p$salt$hash`, base64url), so they can be raised later without
 * invalidating stored passwords.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { Invalid } from '../errors.ts'

export const PASSWORD_MIN = 10
export const PASSWORD_MAX = 1024
const PARAMS = { N: 2 ** 15, r: 8, p: 1 }
const KEY_LENGTH = 32

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) => err ? reject(err) : resolve(key)))
}

/** Refuses a password outside the policy (400 naming the field). */
export function checkPasswordPolicy(password: string, field = 'password'): void {
  const length = [...password].length
  if (length < PASSWORD_MIN) throw new Invalid(`the password must have at least ${PASSWORD_MIN} characters`, field)
  if (length > PASSWORD_MAX) throw new Invalid(`the password must have at most ${PASSWORD_MAX} characters`, field)
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, PARAMS, KEY_LENGTH)
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

// Compared against when the user is unknown, so that a wrong e-mail costs as long as a wrong password.
let dummyHash: Promise<string> | undefined

/** Whether `password` matches `stored`; with no stored hash, spends the same time and returns false. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const hash = stored ?? await (dummyHash ??= hashPassword(randomBytes(16).toString('hex')))
  const [scheme, n, r, p, salt, key] = hash.split('$')
  if (scheme !== 'scrypt' || !key) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) }, expected.length)
  return timingSafeEqual(actual, expected) && stored != null
}
