import { Db } from '../../src/database/db';
import type { SummaryEngine } from '../../src/summaries/summary.engine';
import { PgSummaryStore } from '../../src/summaries/summary-store';
import { type FakeLlmServer, startFakeLlmServer } from '../fakes/fake-llm-server';
import { createTestDatabase, type TestDatabase } from '../support/database';

export interface EngineFixture {
  db: TestDatabase;
  store: PgSummaryStore;
  openai: FakeLlmServer;
  anthropic: FakeLlmServer;
  /** Engines a test made: closed after each test. */
  engines: SummaryEngine[];
}

/**
 * The setup of a SummaryEngine test: a database with its store and two fake model servers,
 * made before the file's tests, reset before each, and the engines a test made closed after it.
 * `assign` hands them to the file's variables.
 */
export function useEngineFixture(assign: (fixture: EngineFixture) => void): void {
  let fixture: EngineFixture | null = null;
  beforeAll(async () => {
    const [db, openai, anthropic] = await Promise.all([createTestDatabase(), startFakeLlmServer(), startFakeLlmServer()]);
    fixture = { db, store: new PgSummaryStore(new Db(db.pool)), openai, anthropic, engines: [] };
    assign(fixture);
  });
  afterAll(async () => {
    await Promise.all([fixture?.openai.close(), fixture?.anthropic.close()]);
    await fixture?.db.drop();
  });
  beforeEach(() => {
    fixture?.openai.reset();
    fixture?.anthropic.reset();
  });
  afterEach(async () => {
    await Promise.all((fixture?.engines.splice(0) ?? []).map((engine) => engine.close()));
  });
}
