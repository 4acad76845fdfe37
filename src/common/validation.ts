import { Matches, ValidationError } from 'class-validator';
import { InvalidInputError } from './errors';

/** PostgreSQL text cannot hold NUL, and names and descriptions have no use for control characters. */
export const NoControlCharacters = () =>
  Matches(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, { message: ({ property }) => `${property} must not contain control characters` });

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * class-validator's errors as `details: [{ field, message }]` with one summary `message`
 * (SPEC §3: `message` is always one string). Nested fields are named by their path
 * (`headers.x`, `eventTypes.2`).
 */
export function validationFailed(errors: ValidationError[]): InvalidInputError {
  const details: FieldProblem[] = [];
  const walk = (list: ValidationError[], prefix: string) => {
    for (const error of list) {
      const field = prefix ? `${prefix}.${error.property}` : error.property;
      for (const message of Object.values(error.constraints ?? {})) details.push({ field, message });
      if (error.children?.length) walk(error.children, field);
    }
  };
  walk(errors, '');
  if (details.length === 0) return new InvalidInputError('body', 'is invalid');
  return InvalidInputError.withDetails(details);
}
