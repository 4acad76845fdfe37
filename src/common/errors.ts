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

/** Bad input: names the field. `details` lists every problem found (SPEC §3's error shape). */
export class InvalidInputError extends DomainError {
  readonly status = 400;
  readonly details: Array<{ field: string; message: string }>;

  constructor(readonly field: string, detail: string) {
    super(`${field} ${detail}`);
    this.details = [{ field, message: this.message }];
  }

  /** Several problems at once (a DTO with more than one bad field): the message joins them. */
  static withDetails(details: Array<{ field: string; message: string }>): InvalidInputError {
    const error = new InvalidInputError(details[0].field, '');
    error.message = details.map((d) => d.message).join('; ');
    error.details.splice(0, 1, ...details);
    return error;
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


export class ReadOnlySessionError extends DomainError {
  readonly status = 403;
  constructor() {
    super('this portal session is read-only');
  }
}
