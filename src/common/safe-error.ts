/**
 * Error serializer for logs. PostgreSQL errors carry `detail`, `where` and sometimes the
 * failing row (which can hold an endpoint secret or event data): only the type, code,
 * message and stack are kept.
 */
export function safeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: typeof error === 'string' ? error.slice(0, 500) : 'non-error thrown' };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.constructor.name,
    message: error.message.slice(0, 500),
    ...(typeof code === 'string' ? { code } : {}),
    stack: error.stack?.split('\n').slice(1, 8).join('\n'),
  };
}
