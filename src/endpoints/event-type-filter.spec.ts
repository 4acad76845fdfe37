import { EVENT_TYPE_FILTER_PATTERN } from './event-type-filter';

describe('EVENT_TYPE_FILTER_PATTERN', () => {
  it.each(['invoice.paid', 'invoice.*', '*', 'a_b-c.d'])('accepts filter %s', (f) => expect(EVENT_TYPE_FILTER_PATTERN.test(f)).toBe(true));
  it.each(['invoice.', '.paid', 'in voice', 'invoice.*.paid', '**', 'invoice*', ''])('refuses filter %p', (f) =>
    expect(EVENT_TYPE_FILTER_PATTERN.test(f)).toBe(false));
});
