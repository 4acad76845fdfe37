import { humaniseType, offlineSummary } from './offline-summariser';

/** At most two sentences: sentence ends are '.', '!' or '?' followed by a space or the end. */
function sentenceCount(text: string): number {
  return text.split(/[.!?…](?:\s|$)/).filter((s) => s.trim().length > 0).length;
}

describe('humaniseType', () => {
  it.each([
    ['invoice.paid', 'Invoice paid'],
    ['customer.subscription.updated', 'Customer subscription updated'],
    ['user_signed-up', 'User signed up'],
    ['orderShipped', 'Order shipped'],
    ['...', 'Event received'],
  ])('%s → %s', (type, expected) => expect(humaniseType(type)).toBe(expected));
});

describe('offlineSummary', () => {
  it.each([
    ['invoice.paid', { id: 'in_1', amount: 4200, currency: 'usd', status: 'paid', customer: 'cus_9' }, 'Invoice paid: in_1, 4200 USD, customer cus_9. Status: paid.'],
    ['order.shipped', { order_id: 'ord_77', status: 'shipped' }, 'Order shipped: ord_77. Status: shipped.'],
    ['invoice.paid', {}, 'Invoice paid.'],
    ['project.created', { id: 'prj_1', name: 'Apollo' }, 'Project created: prj_1, "Apollo".'],
    ['payment.failed', { data: { object: { id: 'pi_3', amount: '19.99', currency: 'EUR', customer: { id: 'cus_1', email: 'a@b.co' } } } }, 'Payment failed: pi_3, 19.99 EUR, customer cus_1.'],
    ['ticket.opened', { items: [{ id: 'tk_1', title: 'Printer on fire' }] }, 'Ticket opened: tk_1, "Printer on fire".'],
  ])('%s %j → %p', (type, data, expected) => expect(offlineSummary(type, data)).toBe(expected));

  it('is deterministic', () => {
    const data = { id: 'x', nested: { a: [1, 2, { b: 'c' }] } };
    expect(offlineSummary('a.b', data)).toBe(offlineSummary('a.b', data));
  });

  it('never shows personal data or secrets', () => {
    const data = {
      id: 'jane@example.com', title: 'Call +44 20 7946 0958', status: 'card 4111 1111 1111 1111', reference: 'x',
      customer: { name: 'Jane Doe', email: 'jane@example.com' }, password: 'hunter2', iban: 'DE89370400440532013000',
      amount: 5, name: 'Jane Doe',
    };
    const text = offlineSummary('customer.updated', data);
    for (const secret of ['jane@', 'Jane', '7946', '4111', 'hunter2', 'DE89']) expect(text).not.toContain(secret);
    expect(text).toContain('[email]');
  });

  it('stays within 280 characters and two sentences for huge and hostile values', () => {
    const huge = 'x'.repeat(1_000_000);
    const text = offlineSummary(`a.${'b'.repeat(500)}`, {
      id: huge, title: 'One. Two! Three? Four.\n\n# heading `code` <b>bold</b>', status: `${'y. '.repeat(200)}`,
      amount: 1e21, currency: 'usd', customer: huge,
    });
    expect(text.length).toBeLessThanOrEqual(280);
    expect(sentenceCount(text)).toBeLessThanOrEqual(2);
    expect(text).not.toMatch(/[\n<>`#]/);
  });

  it('handles arrays, nulls, nesting and odd values', () => {
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let i = 0; i < 1000; i++) node = (node.child = {}) as Record<string, unknown>;
    for (const data of [{ list: [] }, { a: null, b: undefined, c: true }, deep, { id: '' }, { id: 12 }]) {
      const text = offlineSummary('thing.happened', data);
      expect(text.startsWith('Thing happened')).toBe(true);
      expect(text.length).toBeLessThanOrEqual(280);
    }
    expect(offlineSummary('thing.happened', { id: 12 })).toBe('Thing happened: 12.');
  });
});

describe('offlineSummary redaction of the fields it takes', () => {
  it('never shows secrets, e-mail addresses, phone or card numbers, even under telling keys', () => {
    const text = offlineSummary('payment.created', {
      id: 'jane.doe@example.com',
      title: 'call +44 20 7946 0958',
      amount: 4111111111111111,
      customer: { id: 'cus_1', email: 'x@y.z' },
      status: 'token sk_live_abcdefghijklmnopqrstuvwx',
      password: 'hunter2',
    });
    for (const secret of ['jane.doe@example.com', '7946', '4111111111111111', 'x@y.z', 'hunter2']) expect(text).not.toContain(secret);
    expect(text).toContain('Payment created');
  });
});
