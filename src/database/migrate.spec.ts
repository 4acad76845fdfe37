import { serverVersionProblem } from './migrate';

describe('serverVersionProblem', () => {
  it('refuses a server older than PostgreSQL 14.4, naming its version, and takes 14.4 and newer', () => {
    expect(serverVersionProblem(130016, '13.16')).toBe('PostgreSQL 14.4 or newer is required (older servers lack DETACH PARTITION CONCURRENTLY, or rebuild indexes concurrently with a bug that loses rows); the server at DATABASE_URL is 13.16');
    expect(serverVersionProblem(90624, '9.6.24')).toMatch(/is 9\.6\.24$/);
    expect(serverVersionProblem(140003, '14.3')).toMatch(/is 14\.3$/);
    expect(serverVersionProblem(140004, '14.4')).toBeNull();
    expect(serverVersionProblem(150019, '15.19 (Debian 15.19-0+deb12u1)')).toBeNull();
    expect(serverVersionProblem(180004, '18.4')).toBeNull();
  });
});
