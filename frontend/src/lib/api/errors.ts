/** ApiError is every failure the api module reports: a clean message for people, a code for code. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryAfterS: number | undefined;

  constructor(code: string, message: string, status = 0, retryAfterS?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.retryAfterS = retryAfterS;
  }
}

/** errorMessage turns anything thrown into a sentence for the UI. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  return 'unexpected error';
}

/** toApiError normalises a Wails rejection (a string) or any thrown value. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const msg = errorMessage(e);
  // Wails rejects with the Go error's text; app prefixes it with "code: " where it knows one.
  const m = /^([a-z_]+): (.*)$/s.exec(msg);
  if (m && m[1] && m[2]) return new ApiError(m[1], m[2]);
  return new ApiError('error', msg);
}
