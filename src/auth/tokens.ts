import { createHash, randomBytes } from 'node:crypto'

/** API tokens are 256-bit random values; only their SHA-256 is stored. */
export function generateToken(): string {
  return `alt_${randomBytes(32).toString('base64url')}`
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
