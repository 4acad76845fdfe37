import { generateSecret, isValidSecret, secretKeyBytes } from './secrets';

const b64 = (bytes: number): string => Buffer.alloc(bytes, 7).toString('base64');

describe('generateSecret', () => {
  it('is whsec_ plus 32 random bytes in base64 and passes validation', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKeyBytes(secret)).toHaveLength(32);
    expect(isValidSecret(secret)).toBe(true);
  });

  it('differs each time', () => {
    expect(generateSecret()).not.toBe(generateSecret());
  });
});

describe('isValidSecret', () => {
  it.each([
    ['24 bytes', `whsec_${b64(24)}`],
    ['64 bytes', `whsec_${b64(64)}`],
    ['32 bytes with padding', `whsec_${b64(32)}`],
  ])('accepts %s', (_name, secret) => expect(isValidSecret(secret)).toBe(true));

  it.each([
    ['no prefix', b64(32)],
    ['wrong prefix', `whsek_${b64(32)}`],
    ['23 bytes', `whsec_${b64(23)}`],
    ['65 bytes', `whsec_${b64(65)}`],
    ['empty key', 'whsec_'],
    ['url-safe alphabet', `whsec_${Buffer.alloc(32, 0xff).toString('base64url')}`],
    ['missing padding', `whsec_${b64(32).replace(/=+$/, '')}`],
    ['stray characters', `whsec_${b64(32).slice(0, 20)}!!${b64(32).slice(22)}`],
    ['whitespace', `whsec_ ${b64(32)}`],
  ])('rejects %s', (_name, secret) => expect(isValidSecret(secret)).toBe(false));
});

describe('secretKeyBytes', () => {
  it('decodes the part after whsec_', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    expect(secretKeyBytes(`whsec_${key.toString('base64')}`).equals(key)).toBe(true);
  });
});
