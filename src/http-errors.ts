/** An error meant for the API client: its status and message are sent as they are. */
export class HttpError extends Error {
  constructor (readonly statusCode: number, message: string, readonly field?: string) {
    super(message)
  }
}
