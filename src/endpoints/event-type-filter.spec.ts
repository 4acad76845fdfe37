import { EVENT_TYPE_FILTER_PATTERN, matchesEventType } from './event-type-filter';

describe('matchesEventType', () => {
  it.each([
    [[], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid.late', false],
    [['invoice.*'], 'invoice.paid', true],
    [['invoice.*'], 'invoice.line.added', true],
    [['invoice.*'], 'invoices.paid', false],
    [['invoice.*'], 'invoice', false],
    [['*'], 'anything', true],
    [['user.created', 'invoice.*'], 'user.created', true],
    [['user.created', 'invoice.*'], 'user.deleted', false],
  ])('%j vs %s -> %s', (filters, type, expected) => expect(matchesEventType(filters, type)).toBe(expected));

  it.each(['invoice.paid', 'invoice.*', '*', 'a_b-c.d'])('accepts filter %s', (f) => expect(EVENT_TYPE_FILTER_PATTERN.test(f)).toBe(true));
  it.each(['invoice.', '.paid', 'in voice', 'invoice.*.paid', '**', 'invoice*', ''])('refuses filter %p', (f) =>
    expect(EVENT_TYPE_FILTER_PATTERN.test(f)).toBe(false));
});
