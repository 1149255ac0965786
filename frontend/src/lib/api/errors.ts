import { ErrorCodeValues, type ErrorCode } from './models.gen';

/**
 * ApiErrorCode is the code of an ApiError: the server's (ErrorCode, generated
 * from Go) or one the api module adds when the server cannot be reached
 * ("network"), answers something that is not the API ("bad_response",
 * "http_<status>"), lacks a binding ("missing_binding") or rejects without a
 * code ("error").
 */
export type ApiErrorCode = ErrorCode | 'network' | 'bad_response' | 'missing_binding' | 'error' | `http_${number}`;

/** ApiError is every failure the api module reports: a clean message for people, a code for code. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly retryAfterS: number | undefined;

  constructor(code: ApiErrorCode, message: string, status = 0, retryAfterS?: number) {
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
  // Wails rejects with the Go error's text; the desktop shell prefixes it
  // with "code: " (one of ErrorCode), the api module with "missing_binding: ".
  const m = /^([a-z_]+): (.*)$/s.exec(msg);
  if (m && m[1] && m[2] && isApiErrorCode(m[1])) return new ApiError(m[1], m[2]);
  return new ApiError('error', msg);
}

function isApiErrorCode(c: string): c is ErrorCode | 'missing_binding' {
  return c === 'missing_binding' || (ErrorCodeValues as readonly string[]).includes(c);
}
