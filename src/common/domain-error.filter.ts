import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, InvalidInputError } from './errors';
import { LOG_PARTITIONED_TABLES } from '../database/log-partitions';

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** Errors that mean the database is unreachable, refusing connections or shutting down. */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '55000', '3D000', '08000', '08001', '08003', '08004', '08006', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);
const UNAVAILABLE_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection error|Client has encountered a connection error/i;

/** Deadlock or serialization failure: nothing was written, and the same request can succeed again. */
function isTransientConflict(exception: unknown): boolean {
  const code = (exception as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

const MISSING_LOG_PARTITION = new RegExp(`^no partition of relation "(${LOG_PARTITIONED_TABLES.join('|')})"`);

/**
 * A row whose day has no partition of a table of the log (src/database/log-partitions.ts):
 * every process makes the coming days' partitions hourly, so this means none ran for a week, or
 * the host's clock is far off the database's. Nothing was written; the request can be repeated.
 */
function isMissingLogPartition(exception: unknown): boolean {
  const message = (exception as { message?: unknown } | null)?.message;
  return codeOf(exception) === '23514' && typeof message === 'string' && MISSING_LOG_PARTITION.test(message);
}

/** The code of a pg or Node error (SQLSTATE or errno name), if any. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isDatabaseUnavailable(exception: unknown): boolean {
  if (typeof exception !== 'object' || exception === null) return false;
  const code = (exception as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  const message = (exception as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
}

/** Maps every error to NestJS's `{ statusCode, error, message }` shape; never leaks internals. */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(DomainErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = this.toResponse(exception);
    void reply.status(status).send(body);
  }

  private toResponse(exception: unknown): { status: number; body: object } {
    if (exception instanceof HttpException) {
      return { status: exception.getStatus(), body: normalise(exception.getStatus(), exception.getResponse()) };
    }
    if (exception instanceof InvalidInputError) {
      return { status: 400, body: { statusCode: 400, error: REASONS[400], message: exception.message, details: exception.details } };
    }
    if (exception instanceof DomainError) {
      return { status: exception.status, body: { statusCode: exception.status, error: REASONS[exception.status] ?? 'Error', message: exception.message } };
    }
    const fastifyStatus = statusOfFastifyError(exception);
    if (fastifyStatus !== null && fastifyStatus < 500) {
      const message = exception instanceof Error ? exception.message : 'Bad request';
      return { status: fastifyStatus, body: { statusCode: fastifyStatus, error: REASONS[fastifyStatus] ?? 'Error', message } };
    }
    if (isTransientConflict(exception)) {
      return { status: 503, body: { statusCode: 503, error: REASONS[503], message: 'transient database conflict, try again' } };
    }
    if (isDatabaseUnavailable(exception)) {
      return { status: 503, body: { statusCode: 503, error: REASONS[503], message: 'database unavailable, try again' } };
    }
    if (isMissingLogPartition(exception)) {
      this.logger.error('no log partition for this day: is this host\'s clock right? Every process makes the next 7 days\' partitions at start and hourly (README "Retention")');
      return { status: 503, body: { statusCode: 503, error: REASONS[503], message: 'the log cannot take this event yet, try again' } };
    }
    this.logger.error({ err: exception }, 'unhandled error');
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { statusCode: 500, error: REASONS[500], message: 'Internal server error' } };
  }
}

/** Nest's own exceptions (401 from the guard, 404 for unknown routes) in the one shape: `message` a string. */
function normalise(status: number, response: string | object): object {
  const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const message = Array.isArray(raw) ? raw.map(String).join('; ') : typeof raw === 'string' ? raw : REASONS[status] ?? 'Error';
  return { statusCode: status, error: REASONS[status] ?? 'Error', message };
}

function statusOfFastifyError(exception: unknown): number | null {
  if (typeof exception !== 'object' || exception === null) return null;
  const statusCode = (exception as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' ? statusCode : null;
}

/**
 * Fastify's `frameworkErrors`: a URL it cannot decode (FST_ERR_BAD_URL) or a path parameter
 * over maxParamLength (FST_ERR_MAX_PARAM_LENGTH) is answered before any route, so before
 * DomainErrorFilter; without this the body carries Fastify's `code` and, for the 414, the
 * reason "Bad Request". (Errors of the HTTP parser, such as a 431, already have the one shape.)
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply.status(status).send({ statusCode: status, error: REASONS[status] ?? 'Error', message: error.message });
}
