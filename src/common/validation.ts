import { Matches } from 'class-validator';

/** PostgreSQL text cannot hold NUL, and names and descriptions have no use for control characters. */
export const NoControlCharacters = () =>
  Matches(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, { message: ({ property }) => `${property} must not contain control characters` });
