import type { LookupAddress, LookupOptions } from 'node:dns';
import { checkTargetUrl, createSafeLookup, isPublicAddress, safeLookup } from './address-policy';

describe('isPublicAddress', () => {
  it.each([
    '0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.255', '100.64.0.1', '100.127.255.255', '127.0.0.1', '127.255.0.1',
    '169.254.0.1', '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.168.1.1',
    '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9', '224.0.0.1', '239.255.255.250', '240.0.0.1',
    '255.255.255.255',
    '::', '::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fc00::1', 'fd00::1', 'ff02::1', '2001:db8::1',
    '64:ff9b::a00:1', '64:ff9b::a9fe:a9fe', '64:ff9b:0:0:1::808:808',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::FFFF:10.0.0.1', '::ffff:a9fe:a9fe', '::127.0.0.1', '::7f00:1',
    '0:0:0:0:0:ffff:c0a8:0101', '2002:7f00:1::1', '2001::1',
    // forms a hand-written parser tends to miss
    '::ffff:0.0.0.0', '::ffff:100.64.0.1', '::ffff:169.254.169.254', '0:0:0:0:0:0:0:1', '0000::0001', '::0:1',
    'FE80::1', 'fe80::1%25eth0', 'fe80:0:0:0:abcd::1%1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fc00::1',
    '2001:db8:ffff::1', '2001:DB8::1', '3fff::1', '3fff:fff:ffff::1', '64:ff9b::7f00:1',
    '64:ff9b:1::1', '64:ff9b:1::808:808', '2002:a9fe:a9fe::', '2002:c0a8:101::1', '::ffff:0:7f00:1', '2001:2::1', '2001:20::1',
    '100::1', 'fec0::1', 'ff0e::1', '5f00::1', '192.88.99.1',
    'not-an-ip', '', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', ':::1', '1::2::3',
  ])('%p is not public', (ip) => expect(isPublicAddress(ip)).toBe(false));

  it.each([
    '1.1.1.1', '8.8.8.8', '9.255.255.255', '11.0.0.1', '100.63.255.255', '100.128.0.1', '126.255.255.255',
    '128.0.0.1', '169.253.255.255', '172.15.255.255', '172.32.0.1', '192.0.1.1', '192.0.3.1', '192.167.255.255',
    '192.169.0.1', '198.17.255.255', '198.20.0.1', '203.0.114.1', '223.255.255.255',
    '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '2001:4860:4860::8888', '::ffff:8.8.8.8', '::ffff:808:808',
    '2002:808:808::1', '2001:0db9::1',
    // NAT64 (DNS64 on an IPv6-only host) to a public IPv4 address
    '64:ff9b::8.8.8.8', '64:ff9b::808:808', '64:ff9b::1.2.3.4',
    // globally reachable special ranges (AS112, AMT relays) and a mapped form written in full
    '192.175.48.1', '192.52.193.1', '2620:4f:8000::1', '0:0:0:0:0:ffff:0808:0808', '::FFFF:8.8.8.8',
  ])('%p is public', (ip) => expect(isPublicAddress(ip)).toBe(true));
});

describe('checkTargetUrl', () => {
  const publicLookup = async (): Promise<string[]> => ['93.184.215.14'];
  const failingLookup = async (): Promise<string[]> => {
    throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
  };

  it.each([
    ['http://2130706433/', 'url host is a non-public address (127.0.0.1)'],
    ['http://0x7f.1/', 'url host is a non-public address (127.0.0.1)'],
    ['http://0177.0.0.1/', 'url host is a non-public address (127.0.0.1)'],
    ['http://[::ffff:127.0.0.1]/', 'url host is a non-public address (::ffff:7f00:1)'],
    ['http://[::1]:8080/hook', 'url host is a non-public address (::1)'],
    ['http://169.254.169.254/latest/meta-data/', 'url host is a non-public address (169.254.169.254)'],
    ['http://100.64.0.1/', 'url host is a non-public address (100.64.0.1)'],
    ['http://[fd00::1]/', 'url host is a non-public address (fd00::1)'],
    ['http://[::ffff:7f00:1]/', 'url host is a non-public address (::ffff:7f00:1)'],
    ['http://[::]/', 'url host is a non-public address (::)'],
    ['http://[fc00::1]/', 'url host is a non-public address (fc00::1)'],
    ['http://[fe80::1]/', 'url host is a non-public address (fe80::1)'],
    ['http://[2001:db8::1]/', 'url host is a non-public address (2001:db8::1)'],
    ['http://[64:ff9b::7f00:1]/', 'url host is a non-public address (64:ff9b::7f00:1)'],
    ['http://[::ffff:169.254.169.254]/', 'url host is a non-public address (::ffff:a9fe:a9fe)'],
    ['http://100.127.255.254/', 'url host is a non-public address (100.127.255.254)'],
    ['http://0/', 'url host is a non-public address (0.0.0.0)'],
    ['http://0.0.0.0/', 'url host is a non-public address (0.0.0.0)'],
    ['https://10.1.2.3/', 'url host is a non-public address (10.1.2.3)'],
    ['http://localhost:3000/', 'url host is localhost'],
    ['http://LOCALHOST./', 'url host is localhost'],
    ['http://api.localhost/', 'url host is localhost'],
    ['ftp://example.com/', 'url must use http or https'],
    ['file:///etc/passwd', 'url must use http or https'],
    ['javascript:alert(1)', 'url must use http or https'],
    ['not a url', 'url is not a valid URL'],
  ])('refuses %s', async (url, reason) => {
    const lookup = jest.fn(publicLookup);
    await expect(checkTargetUrl(url, { lookup })).resolves.toEqual({ ok: false, reason });
    expect(lookup).not.toHaveBeenCalled();
  });

  it.each(['https://user:pass@example.com/', 'https://token@example.com/'])('refuses credentials in %s', async (url) => {
    const outcome = await checkTargetUrl(url, { lookup: publicLookup });
    expect(outcome).toEqual({ ok: false, reason: expect.stringContaining('credentials') });
  });

  it.each(['https://example.com/hooks', 'http://8.8.8.8/', 'https://[2606:4700:4700::1111]/x', 'https://93.184.215.14:8443/'])(
    'allows %s',
    async (url) => expect(checkTargetUrl(url, { lookup: publicLookup })).resolves.toEqual({ ok: true }),
  );

  it('refuses a public-looking name that resolves to a private address', async () => {
    const lookup = jest.fn(async (): Promise<string[]> => ['93.184.215.14', '10.0.0.1']);
    await expect(checkTargetUrl('https://rebind.example.com/hook', { lookup })).resolves.toEqual({
      ok: false,
      reason: 'url resolves to a non-public address (10.0.0.1)',
    });
    expect(lookup).toHaveBeenCalledWith('rebind.example.com');
  });

  it('refuses a name resolving to an IPv4-mapped loopback', async () => {
    await expect(checkTargetUrl('https://x.example.com/', { lookup: async () => ['::ffff:127.0.0.1'] })).resolves.toEqual({
      ok: false,
      reason: 'url resolves to a non-public address (::ffff:127.0.0.1)',
    });
  });

  it('refuses a name that does not resolve', async () => {
    await expect(checkTargetUrl('https://nowhere.example.com/', { lookup: failingLookup })).resolves.toEqual({
      ok: false,
      reason: 'url host could not be resolved',
    });
    await expect(checkTargetUrl('https://empty.example.com/', { lookup: async () => [] })).resolves.toEqual({
      ok: false,
      reason: 'url host could not be resolved',
    });
  });
});

type Answer = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

function runLookup(lookup: typeof safeLookup, hostname: string, options: LookupOptions): Promise<Answer> {
  return new Promise((resolve) => {
    lookup(hostname, options, (error, address, family) => resolve({ error, address, family }));
  });
}

describe('safeLookup', () => {
  const fakeResolver = (answers: LookupAddress[]) =>
    createSafeLookup((_hostname, options, callback) => {
      if (options.all) callback(null, answers);
      else callback(null, answers[0].address, answers[0].family);
    });

  it('blocks localhost at connect time (all: false and all: true)', async () => {
    for (const options of [{}, { all: true }]) {
      const { error } = await runLookup(safeLookup, 'localhost', options);
      expect(error).toMatchObject({ code: 'EBLOCKED', message: 'blocked address' });
    }
  });

  it('passes public answers through unchanged', async () => {
    const lookup = fakeResolver([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ]);
    await expect(runLookup(lookup, 'example.com', {})).resolves.toEqual({
      error: null,
      address: '93.184.215.14',
      family: 4,
    });
    const all = await runLookup(lookup, 'example.com', { all: true });
    expect(all.error).toBeNull();
    expect(all.address).toHaveLength(2);
  });

  it('fails when any answer is non-public (a rebinding name)', async () => {
    const lookup = fakeResolver([
      { address: '93.184.215.14', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ]);
    const { error } = await runLookup(lookup, 'rebind.example.com', { all: true });
    expect(error).toMatchObject({ code: 'EBLOCKED' });
  });

  it('passes resolver errors through', async () => {
    const lookup = createSafeLookup((_hostname, _options, callback) =>
      callback(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), ''),
    );
    const { error } = await runLookup(lookup, 'nowhere.invalid', {});
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
