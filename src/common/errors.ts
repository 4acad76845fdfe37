/**
 * Domain errors: services throw these (they are also called by the worker, so they never
 * throw HttpException); DomainErrorFilter maps them to HTTP at the edge.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  constructor(resource: string) {
    super(`${resource} not found`);
  }
}

/** Bad input that passed DTO validation but fails a domain rule; names the field. */
export class InvalidInputError extends DomainError {
  readonly status = 400;
  constructor(readonly field: string, detail: string) {
    super(`${field} ${detail}`);
  }
}

export class TargetNotAllowedError extends InvalidInputError {
  constructor(reason: string) {
    super('url', `is not allowed: ${reason}`);
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  constructor() {
    super('this route needs the admin token');
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
}
