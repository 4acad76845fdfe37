import { decodeCursor, toPage } from './pagination';

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `dlv_${String(9 - i).repeat(26)}` }));

describe('toPage', () => {
  it('a full page has a cursor at its last row; the extra row is dropped', () => {
    const page = toPage(rows(3), 2, (r) => r.id);
    expect(page.data).toHaveLength(2);
    expect(decodeCursor(page.nextCursor!)).toBe(rows(3)[1].id);
  });

  it('the last page has no cursor', () => {
    expect(toPage(rows(2), 2, (r) => r.id).nextCursor).toBeNull();
  });

  it('a read that stopped early continues where it stopped, also when it found nothing', () => {
    const stop = `dlv_${'1'.repeat(26)}`;
    expect(decodeCursor(toPage(rows(1), 2, (r) => r.id, stop).nextCursor!)).toBe(stop);
    expect(toPage([], 2, (r: { id: string }) => r.id, stop)).toEqual({ data: [], nextCursor: Buffer.from(stop).toString('base64url') });
    // a full page still ends at its own last row
    expect(decodeCursor(toPage(rows(3), 2, (r) => r.id, stop).nextCursor!)).toBe(rows(3)[1].id);
  });
});
