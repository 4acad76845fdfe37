import { serverVersionProblem } from './migrate';

describe('serverVersionProblem', () => {
  it('refuses a server older than PostgreSQL 14, naming its version, and takes 14 and newer', () => {
    expect(serverVersionProblem(130016, '13.16')).toBe('PostgreSQL 14 or newer is required; the server at DATABASE_URL is 13.16');
    expect(serverVersionProblem(90624, '9.6.24')).toMatch(/is 9\.6\.24$/);
    expect(serverVersionProblem(140000, '14.0')).toBeNull();
    expect(serverVersionProblem(150019, '15.19 (Debian 15.19-0+deb12u1)')).toBeNull();
    expect(serverVersionProblem(180004, '18.4')).toBeNull();
  });
});
