import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponse } from './error.response';

/**
 * The OpenAPI document served at /docs-json. Also built without a database by
 * scripts/generate-api.ts (the app in preview mode), which writes the portal's generated types
 * from it; test/e2e/openapi.e2e-spec.ts lints the served one and checks those types are current.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Webhook delivery service')
    .setDescription('Tenants, endpoints, events, deliveries. Every error has one shape, ErrorResponse: `message` is always one string, field problems are listed in `details`.')
    .setVersion('1')
    .addServer('/', 'this server')
    // Opaque tokens, not JWTs: DocumentBuilder.addBearerAuth() would say bearerFormat "JWT".
    .addSecurity('bearer', {
      type: 'http',
      scheme: 'bearer',
      description: 'The admin token (ADMIN_TOKEN), a tenant API key (`whk_...`) or a portal session token (`pts_...`; the tenant\'s endpoint, event and delivery routes only). Opaque strings.',
    })
    .addTag('tenants', 'Tenants and their API keys (admin token only)')
    .addTag('endpoints', 'Where a tenant\'s events are delivered')
    .addTag('events', 'Publishing events, and the event log')
    .addTag('deliveries', 'The delivery log: one delivery per event and endpoint, with its attempts')
    .addTag('portal', 'Sessions of the tenant portal')
    .addTag('health', 'Liveness and readiness (no token)')
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponse] });
}
