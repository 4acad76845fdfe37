import { buildPayload } from './payload';

describe('buildPayload', () => {
  const event = { id: 'evt_1', type: 'invoice.paid', createdAt: new Date('2026-11-27T10:00:00Z'), dataJson: '{"b":1,"a":{"x":[1,2]}}' };

  it('keeps data byte for byte and adds the summary', () => {
    const body = buildPayload(event, { text: 'Invoice paid.', source: 'offline', model: null });
    expect(body).toBe('{"id":"evt_1","type":"invoice.paid","timestamp":"2026-11-27T10:00:00.000Z","data":{"b":1,"a":{"x":[1,2]}},"summary":{"text":"Invoice paid.","source":"offline","model":null}}');
    expect(JSON.parse(body).data).toEqual({ b: 1, a: { x: [1, 2] } });
  });

  it('leaves summary out when the endpoint wants none', () => {
    expect(JSON.parse(buildPayload(event, null))).toEqual({ id: 'evt_1', type: 'invoice.paid', timestamp: '2026-11-27T10:00:00.000Z', data: { b: 1, a: { x: [1, 2] } } });
  });
});
