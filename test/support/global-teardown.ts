import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const baseUrl = process.env.TEST_PG_BASE_URL;
  const template = process.env.TEST_PG_TEMPLATE;
  if (baseUrl && template && !globalThis.__EMBEDDED_PG__) {
    const admin = new Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${template} with (force)`).catch(() => undefined);
    await admin.end();
  }
  await globalThis.__EMBEDDED_PG__?.stop();
}
