import { ConfigError, loadConfig } from './config';

/** A start-up error names the variable and what it expects (exit code 2, README Configuration). */
function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted it');
}

describe('loadConfig', () => {
  it('takes a postgres:// database URL and refuses any other scheme, naming the variable', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/w' }).databaseUrl).toBe('postgres://u:p@db:5432/w');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/w' }).databaseUrl).toBe('postgresql://db/w');
    for (const bad of ['http://db:5432/w', 'https://db/w', 'db:5432', 'not a url']) {
      const error = failure({ DATABASE_URL: bad });
      expect(error.variable).toBe('DATABASE_URL');
      expect(error.message).toBe('Invalid DATABASE_URL: expected a postgres:// or postgresql:// URL');
    }
  });

  it('takes http(s):// model and public URLs only', () => {
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).llm.openai.baseUrl).toBe('http://127.0.0.1:11434/v1');
    expect(failure({ OPENAI_BASE_URL: 'postgres://db/w' }).message).toBe('Invalid OPENAI_BASE_URL: expected a http:// or https:// URL');
    expect(failure({ ANTHROPIC_BASE_URL: 'ftp://x' }).variable).toBe('ANTHROPIC_BASE_URL');
    expect(failure({ PUBLIC_URL: 'file:///etc' }).variable).toBe('PUBLIC_URL');
  });

  it('treats an empty value as unset (docker compose passes unset variables as empty)', () => {
    const config = loadConfig({ DATABASE_URL: '', RETENTION_DAYS: '', WORKER_CONCURRENCY: ' ', OPENAI_BASE_URL: '' });
    expect(config.databaseUrl).toBeNull();
    expect(config.retentionDays).toBe(30);
    expect(config.workerConcurrency).toBe(64);
    expect(config.llm.openai.baseUrl).toBe('https://api.openai.com/v1');
  });

  it('keeps the log rows for ever unless LOG_RETENTION_DAYS says otherwise, and never for less than their payloads', () => {
    expect(loadConfig({}).logRetentionDays).toBeNull();
    expect(loadConfig({ LOG_RETENTION_DAYS: '' }).logRetentionDays).toBeNull();
    expect(loadConfig({ LOG_RETENTION_DAYS: '90' }).logRetentionDays).toBe(90);
    expect(loadConfig({ RETENTION_DAYS: '7', LOG_RETENTION_DAYS: '7' }).logRetentionDays).toBe(7);
    expect(failure({ LOG_RETENTION_DAYS: '20' }).message).toBe('Invalid LOG_RETENTION_DAYS: must be at least RETENTION_DAYS (30): the log rows outlive their payloads');
    expect(failure({ LOG_RETENTION_DAYS: '0' }).variable).toBe('LOG_RETENTION_DAYS');
  });

  it('names a number out of range', () => {
    expect(failure({ RETENTION_DAYS: '0' }).message).toBe('Invalid RETENTION_DAYS: must be between 1 and 3650');
    expect(failure({ PORT: '70000' }).variable).toBe('PORT');
  });
});
