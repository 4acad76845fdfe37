/**
 * npm run generate:api: the OpenAPI document (built from the controllers, no database needed)
 * and the types openapi-typescript generates from it, written to portal/src/generated/openapi.d.ts.
 * `--check` writes nothing and exits 1 when the committed file is out of date; `--document <file>`
 * takes the document from a file instead (the one a running service served, as npm test does).
 */
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppModule } from '../src/app.module';
import { buildOpenApiDocument } from '../src/common/openapi-document';
import { loadConfig } from '../src/config/config';
import { typesFromDocument } from './openapi-types';

const GENERATED_TYPES = resolve(__dirname, '../portal/src/generated/openapi.d.ts');

async function main(): Promise<void> {
  const at = process.argv.indexOf('--document');
  const document = at > 0 ? (JSON.parse(readFileSync(process.argv[at + 1], 'utf8')) as OpenAPIObject) : await documentOfTheControllers();
  const types = await typesFromDocument(document);
  if (process.argv.includes('--check')) {
    const current = readFileSync(GENERATED_TYPES, 'utf8');
    if (current !== types) {
      console.error(`${GENERATED_TYPES} is out of date: run npm run generate:api and commit it`);
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(GENERATED_TYPES, types);
  console.log(`wrote ${GENERATED_TYPES}`);
}

async function documentOfTheControllers(): Promise<OpenAPIObject> {
  const config = loadConfig({ ADMIN_TOKEN: 'generate-api-not-a-real-token', LOG_LEVEL: 'silent' });
  // Preview mode: the module graph and its routes, without instantiating a provider (no database).
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, role: 'api', databaseUrl: 'postgres://unused.invalid/unused' }),
    new FastifyAdapter(),
    { preview: true, logger: false },
  );
  const document = buildOpenApiDocument(app);
  await app.close();
  return document;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
