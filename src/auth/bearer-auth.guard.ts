import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ForbiddenError, NotFoundError, ReadOnlySessionError } from '../common/errors';
import { ADMIN_ONLY, IS_PUBLIC, PORTAL_READ, PORTAL_ROUTES } from './auth.decorators';
import { ApiKeysRepository } from './api-keys.repository';
import { PortalSessionsRepository } from './portal-sessions.repository';
import { constantTimeEquals, hashKey, looksLikePortalToken, looksLikeTenantKey } from './tokens';
import './principal';

/**
 * Admin token or a tenant API key on every route not marked @Public. A tenant key used on
 * another tenant's path answers 404, as if the tenant did not exist; on an admin-only
 * route it answers 403. Keys are looked up on every request so a revoked key stops at once.
 * A portal session token (`pts_`) reaches only its tenant's routes marked @PortalRoutes
 * (endpoints, events, deliveries): 403 on admin-only routes, 404 on every other one; a
 * read-only session may only read (GET, or a POST marked @PortalRead).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysRepository,
    private readonly portalSessions: PortalSessionsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.adminTokenHash = config.adminToken ? hashKey(config.adminToken) : null;
  }

  private readonly adminTokenHash: string | null;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest<{ Params: Record<string, string> }>>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedException('missing bearer token in the Authorization header');

    const tokenHash = hashKey(token);
    if (this.adminTokenHash && constantTimeEquals(tokenHash, this.adminTokenHash)) {
      request.principal = { kind: 'admin' };
      return true;
    }
    if (looksLikePortalToken(token)) return this.portalSession(context, request, tokenHash);
    const key = looksLikeTenantKey(token) ? await this.apiKeys.findActiveByHash(tokenHash) : null;
    if (!key) throw new UnauthorizedException('unknown or revoked token');

    request.principal = { kind: 'tenant', tenantId: key.tenant_id, keyId: key.id };
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets)) throw new ForbiddenError();
    const pathTenant = request.params?.tenantId;
    if (pathTenant !== undefined && pathTenant !== key.tenant_id) throw new NotFoundError('tenant');
    return true;
  }

  private async portalSession(
    context: ExecutionContext,
    request: FastifyRequest<{ Params: Record<string, string> }>,
    tokenHash: string,
  ): Promise<boolean> {
    const session = await this.portalSessions.findByHash(tokenHash);
    if (session.state === 'expired') throw new UnauthorizedException('this portal session has expired');
    if (session.state !== 'active') throw new UnauthorizedException('unknown or revoked token');
    request.principal = { kind: 'portal', tenantId: session.tenant_id, sessionId: session.id, readOnly: session.read_only };
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets)) throw new ForbiddenError();
    if (!this.reflector.getAllAndOverride<boolean>(PORTAL_ROUTES, targets)) throw new NotFoundError('route');
    if (request.params?.tenantId !== session.tenant_id) throw new NotFoundError('tenant');
    const reads = request.method === 'GET' || request.method === 'HEAD' || this.reflector.get<boolean>(PORTAL_READ, context.getHandler());
    if (session.read_only && !reads) throw new ReadOnlySessionError();
    return true;
  }
}

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
