import { isCardNumber, isIban, redact, redactString } from './redaction';

describe('redactString', () => {
  it.each([
    ['jane.doe@example.com', '[email]'],
    ['Contact: JANE+billing@sub.example.co.uk now', 'Contact: [email] now'],
    ['a@b.io,c@d.org', '[email],[email]'],
  ])('replaces e-mail in %p', (input, expected) => expect(redactString(input)).toBe(expected));

  it.each([
    '+44 20 7946 0958',
    '+1 (415) 555-2671',
    '+14155552671',
    '+4915112345678',
    '+33 6 12 34 56 78',
    '(415) 555-2671',
    '415-555-2671',
    '415.555.2671',
    '415 555 2671',
    '020 7946 0958',
    '07700 900123',
    '07700900123',
    '0044 20 7946 0958',
    '030 12345678',
    '06 12 34 56 78',
    '1-800-555-0199',
  ])('replaces phone number %p', (phone) => {
    expect(redactString(`call ${phone} today`)).toBe('call [phone] today');
  });

  it('replaces a phone number after tel:', () => expect(redactString('tel:+4915112345678')).toBe('tel:[phone]'));

  it.each([
    '2026-11-27',
    '2026-11-27T10:00:00.000Z',
    '2026-11-27 10:00:00',
    '27.11.2026',
    '1234.56',
    '12,345.67',
    '1234567.89',
    '1 234 567',
    '12 345 678 901',
    '12345',
    '4200',
    'ord_1234567890',
    'inv_00012345',
    '1764200000000',
    '192.168.100.200',
    '10.0.19041.1',
    '550e8400-e29b-41d4-a716-446655440000',
    'v1.2.3',
    'evt_01jd3k4m5n6p7q8r9s0t1v2w3x',
    '4111111111111112',
    'DE89370400440532013001',
    'price 19.99 EUR',
    'release 2026.11.27',
  ])('leaves %p alone', (text) => expect(redactString(text)).toBe(text));

  it.each([
    ['4111111111111111', '[card]'],
    ['4111 1111 1111 1111', '[card]'],
    ['5555-5555-5555-4444', '[card]'],
    ['378282246310005', '[card]'],
    ['card 6011111111111117 expired', 'card [card] expired'],
    ['2223003122003222', '[card]'],
  ])('replaces card number %p', (input, expected) => expect(redactString(input)).toBe(expected));

  it.each([
    ['DE89370400440532013000', '[iban]'],
    ['DE89 3704 0044 0532 0130 00', '[iban]'],
    ['pay to GB82 WEST 1234 5698 7654 32.', 'pay to [iban].'],
    ['FR1420041010050500013M02606', '[iban]'],
    ['NL91ABNA0417164300 PAID', '[iban] PAID'],
  ])('replaces IBAN %p', (input, expected) => expect(redactString(input)).toBe(expected));

  it.each([
    ['Authorization: Bearer abcdefghijklmnop1234', 'Authorization: [redacted]'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.sig_abc', 'jwt [redacted]'],
    ['key sk_live_abcdefghijklmnop', 'key [redacted]'],
    ['openai sk-proj-abcdefghijklmnopqrst', 'openai [redacted]'],
  ])('replaces well-known secret formats in %p', (input, expected) => expect(redactString(input)).toBe(expected));
});

describe('isCardNumber / isIban', () => {
  it('checks Luhn and card-scheme first digit', () => {
    expect(isCardNumber('4242424242424242')).toBe(true);
    expect(isCardNumber('4242424242424241')).toBe(false);
    expect(isCardNumber('1234567812345670')).toBe(false); // Luhn-valid, but starts with 1 like a timestamp
    expect(isCardNumber('424242424242')).toBe(false);
  });

  it('checks the IBAN mod-97 checksum', () => {
    expect(isIban('GB82WEST12345698765432')).toBe(true);
    expect(isIban('GB83WEST12345698765432')).toBe(false);
    expect(isIban('gb82west12345698765432')).toBe(false);
  });
});

describe('redact', () => {
  it.each([
    'password', 'Password', 'PASSWORD', 'passwd', 'user_password', 'passwordHash', 'secret', 'client_secret', 'clientSecret',
    'CLIENT_SECRET', 'clientsecret', 'token', 'access_token', 'accessToken', 'refreshToken', 'id_token', 'apiKey', 'api_key',
    'X-Api-Key', 'APIKEY', 'authorization', 'Authorization', 'auth', 'ssn', 'SSN', 'cvv', 'cvc', 'pin', 'pinCode', 'card_pin',
    'privateKey', 'private_key', 'cookie', 'Set-Cookie', 'session', 'sessionId', 'credentials', 'otp', 'passphrase',
  ])('replaces the whole value under key %p', (key) => {
    const out = redact({ [key]: 'hunter2', nested: { [key]: { deep: 'hunter2' } }, list: [{ [key]: 42 }] });
    expect(out).toEqual({ [key]: '[redacted]', nested: { [key]: '[redacted]' }, list: [{ [key]: '[redacted]' }] });
    expect(JSON.stringify(out)).not.toContain('hunter2');
  });

  it.each(['shipping', 'spinner', 'opinion', 'className', 'author', 'authorName', 'status', 'amount', 'description', 'keyboard', 'id'])(
    'keeps key %p', (key) => expect(redact({ [key]: 'value' })).toEqual({ [key]: 'value' }),
  );

  it('replaces values under personal-data keys whatever their format', () => {
    expect(redact({ email: 'not-an-address', phone: '555 0100', mobileNumber: '12', iban: 'x', cardNumber: '4' })).toEqual({
      email: '[email]', phone: '[phone]', mobileNumber: '[phone]', iban: '[iban]', cardNumber: '[card]',
    });
  });

  it('is a deep copy that keeps structure, types and innocent values', () => {
    const input = {
      id: 'inv_123', amount: 4200, currency: 'usd', paid: true, note: null, createdAt: '2026-11-27T10:00:00.000Z',
      customer: { id: 'cus_9', contact: 'jane@example.com', tags: ['vip', 'call +44 20 7946 0958'] },
    };
    const copy = JSON.parse(JSON.stringify(input));
    const out = redact(input);
    expect(out).toEqual({
      id: 'inv_123', amount: 4200, currency: 'usd', paid: true, note: null, createdAt: '2026-11-27T10:00:00.000Z',
      customer: { id: 'cus_9', contact: '[email]', tags: ['vip', 'call [phone]'] },
    });
    expect(input).toEqual(copy);
  });

  it('replaces card numbers given as JSON numbers but not timestamps or amounts', () => {
    expect(redact({ n: 4111111111111111, t: 1764200000000, a: 129999 })).toEqual({ n: '[card]', t: 1764200000000, a: 129999 });
  });

  it('survives cycles and deep nesting', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ a: 1, self: '[redacted]' });
    let deep: unknown = 'jane@example.com';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(JSON.stringify(redact(deep))).not.toContain('jane@');
  });
});

describe('redaction cost', () => {
  it.each([
    ['letters', 'x'.repeat(1_000_000)],
    ['an @ then letters', `a@${'x'.repeat(1_000_000)}`],
    ['many @', 'a@'.repeat(300_000)],
    ['digits', '1'.repeat(1_000_000)],
    ['spaced digits', '12 '.repeat(300_000)],
    ['dotted', 'a.'.repeat(500_000)],
    ['IBAN-like prefix', `DE89${'1'.repeat(1_000_000)}`],
    ['pluses', '+1 '.repeat(300_000)],
  ])('is linear on a megabyte of %s', (_name, text) => {
    const started = performance.now();
    redactString(text);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
