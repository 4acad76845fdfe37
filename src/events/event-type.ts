/** An event type: dot-separated names of letters, digits, `_` and `-` (SPEC §3). */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
export const MAX_EVENT_TYPE_LENGTH = 128;
