import { Inject, Injectable } from '@nestjs/common';
import { PortalSessionsRepository } from '../auth/portal-sessions.repository';
import { generatePortalToken, hashKey } from '../auth/tokens';
import { parseDuration } from '../common/duration';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { APP_CONFIG, AppConfig, MAX_PORTAL_SESSION_TTL_MS } from '../config/config';
import { CreatePortalSessionDto } from './dto/create-portal-session.dto';
import { PortalSessionResponse } from './dto/portal-session.response';

const MIN_TTL_MS = 60_000;

@Injectable()
export class PortalSessionsService {
  constructor(
    private readonly sessions: PortalSessionsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(tenantId: string, dto: CreatePortalSessionDto): Promise<PortalSessionResponse> {
    const ttlMs = dto.ttl === undefined ? this.config.portal.sessionTtlMs : parseTtl(dto.ttl);
    const token = generatePortalToken();
    const row = await this.sessions.insert(newId('pts'), tenantId, hashKey(token), dto.readOnly ?? false, ttlMs);
    if (!row) throw new NotFoundError('tenant');
    const expiresAt = row.expires_at.toISOString();
    return { id: row.id, url: this.sessionUrl(token, tenantId, row.read_only, expiresAt), token, expiresAt, readOnly: row.read_only };
  }

  async revoke(tenantId: string, id: string): Promise<void> {
    if (!(await this.sessions.revoke(tenantId, id))) throw new NotFoundError('portal session');
  }

  /**
   * The session rides in the fragment: browsers never send it to a server, so it reaches no
   * access log or Referer; the page takes it out of the address bar at once (portal/src/session.ts).
   */
  private sessionUrl(token: string, tenantId: string, readOnly: boolean, expiresAt: string): string {
    const fragment = new URLSearchParams({ token, tenant: tenantId, readOnly: readOnly ? '1' : '0', expiresAt }).toString();
    return `${this.config.portal.publicUrl ?? ''}/portal/#${fragment}`;
  }
}

function parseTtl(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new InvalidInputError('ttl', 'must be a duration such as 30m, 1h or 1d');
  if (ms < MIN_TTL_MS) throw new InvalidInputError('ttl', 'must be at least 1m');
  if (ms > MAX_PORTAL_SESSION_TTL_MS) throw new InvalidInputError('ttl', 'must be at most 24h');
  return ms;
}
