/**
 * The level of a request's log line. A 503 (the database is down or restarting, a transient
 * conflict) is an expected, retryable answer that the client is told to repeat: a warning,
 * not an error, so an outage does not flood the error log with one line per request.
 */
export function requestLogLevel(status: number, failed: boolean): 'error' | 'warn' | 'info' | 'debug' {
  if (status === 503) return 'warn';
  if (failed || status >= 500) return 'error';
  return status >= 400 ? 'info' : 'debug';
}
