import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ConflictError, InvalidInputError, NotFoundError, TargetNotAllowedError } from '../common/errors';
import { newId } from '../common/ids';
import { ListQueryDto, Page, decodeCursor, pageLimit, toPage } from '../common/pagination';
import { Db } from '../database/db';
import { checkTargetUrl } from '../address-policy/address-policy';
import { generateSecret, isValidSecret } from '../signing';
import { TenantsRepository } from '../tenants/tenants.repository';
import { validateCustomHeaders } from './custom-headers';
import { CreateEndpointDto } from './dto/create-endpoint.dto';
import { RotateSecretDto } from './dto/endpoint-actions.dto';
import { EndpointResponse } from './dto/endpoint.response';
import { UpdateEndpointDto } from './dto/update-endpoint.dto';
import { EndpointRow, EndpointsRepository, PreviousSecret } from './endpoints.repository';
import { recoverStep } from './recover';

const DEFAULT_GRACE_SECONDS = 86_400;
/** PATCH may set description and rateLimitPerSecond to null; every other field needs a value. */
const NOT_NULLABLE = ['url', 'eventTypes', 'enabled', 'secret', 'signatureScheme', 'headers', 'summaries'] as const;
/* maxInFlight may be null on PATCH: back to ENDPOINT_MAX_IN_FLIGHT. */

@Injectable()
export class EndpointsService {
  constructor(
    private readonly endpoints: EndpointsRepository,
    private readonly tenants: TenantsRepository,
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(tenantId: string, dto: CreateEndpointDto): Promise<EndpointResponse> {
    if (!(await this.tenants.find(tenantId))) throw new NotFoundError('tenant');
    await this.assertTargetAllowed(dto.url);
    const secret = dto.secret ?? generateSecret();
    assertSecret(secret);
    const enabled = dto.enabled ?? true;
    const limit = this.config.maxEndpointsPerTenant;
    const row = await this.endpoints.insertWithinLimit(limit, {
      id: newId('ep'),
      tenant_id: tenantId,
      url: dto.url,
      description: dto.description ?? null,
      event_types: dedupe(dto.eventTypes ?? []),
      enabled,
      disabled_reason: enabled ? null : 'manual',
      secret,
      signature_scheme: dto.signatureScheme ?? 'standard-webhooks',
      headers: validateCustomHeaders(dto.headers ?? {}),
      summaries: dto.summaries ?? true,
      rate_limit_per_second: dto.rateLimitPerSecond ?? null,
      max_in_flight: dto.maxInFlight ?? null,
    });
    if (!row) throw new ConflictError(`this tenant already has ${limit} endpoints (MAX_ENDPOINTS_PER_TENANT): delete one first`);
    return this.toResponse(row);
  }

  async get(tenantId: string, id: string): Promise<EndpointResponse> {
    return this.toResponse(await this.require(tenantId, id));
  }

  async list(tenantId: string, query: ListQueryDto): Promise<Page<EndpointResponse>> {
    if (!(await this.tenants.find(tenantId))) throw new NotFoundError('tenant');
    const limit = pageLimit(query);
    return toPage(await this.endpoints.list(tenantId, limit + 1, decodeCursor(query.cursor)), limit, (row) => this.toResponse(row));
  }

  async update(tenantId: string, id: string, dto: UpdateEndpointDto): Promise<EndpointResponse> {
    for (const field of NOT_NULLABLE) {
      if (dto[field] === null) throw new InvalidInputError(field, 'must not be null');
    }
    if (dto.url !== undefined) await this.assertTargetAllowed(dto.url);
    if (dto.secret !== undefined) assertSecret(dto.secret);
    const headers = dto.headers === undefined ? undefined : validateCustomHeaders(dto.headers);
    const row = await this.db.transaction(async (tx) => {
      const current = await this.endpoints.findForUpdate(tx, tenantId, id);
      if (!current) throw new NotFoundError('endpoint');
      let { enabled, disabled_reason, failing_since } = current;
      const reenabled = dto.enabled === true && !current.enabled;
      if (reenabled) [enabled, disabled_reason, failing_since] = [true, null, null];
      if (dto.enabled === false && current.enabled) [enabled, disabled_reason] = [false, 'manual'];
      return this.endpoints.update(tx, {
        ...current,
        url: dto.url ?? current.url,
        description: dto.description === undefined ? current.description : dto.description,
        event_types: dto.eventTypes === undefined ? current.event_types : dedupe(dto.eventTypes),
        enabled,
        disabled_reason,
        failing_since,
        secret: dto.secret ?? current.secret,
        signature_scheme: dto.signatureScheme ?? current.signature_scheme,
        headers: headers ?? current.headers,
        summaries: dto.summaries ?? current.summaries,
        rate_limit_per_second: dto.rateLimitPerSecond === undefined ? current.rate_limit_per_second : dto.rateLimitPerSecond,
        max_in_flight: dto.maxInFlight === undefined ? current.max_in_flight : dto.maxInFlight,
      }, reenabled);
    });
    return this.toResponse(row!);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await this.endpoints.softDelete(tx, tenantId, id))) throw new NotFoundError('endpoint');
      await this.endpoints.cancelPendingDeliveries(tx, id);
    });
  }

  async getSecret(tenantId: string, id: string): Promise<{ secret: string }> {
    return { secret: (await this.require(tenantId, id)).secret };
  }

  /** The old secret keeps signing (alongside the new one) until the grace period ends. */
  async rotateSecret(tenantId: string, id: string, dto: RotateSecretDto): Promise<{ secret: string }> {
    const secret = dto.secret ?? generateSecret();
    assertSecret(secret);
    const graceMs = (dto.gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
    const row = await this.db.transaction(async (tx) => {
      const current = await this.endpoints.findForUpdate(tx, tenantId, id);
      if (!current) throw new NotFoundError('endpoint');
      const now = Date.now();
      const previous: PreviousSecret[] = current.previous_secrets.filter((p) => Date.parse(p.expiresAt) > now);
      if (graceMs > 0 && current.secret !== secret) previous.unshift({ secret: current.secret, expiresAt: new Date(now + graceMs).toISOString() });
      return this.endpoints.update(tx, { ...current, secret, previous_secrets: previous.slice(0, 5) });
    });
    return { secret: row!.secret };
  }

  async enable(tenantId: string, id: string): Promise<EndpointResponse> {
    const row = await this.db.transaction(async (tx) => {
      const current = await this.endpoints.findForUpdate(tx, tenantId, id);
      if (!current) throw new NotFoundError('endpoint');
      return this.endpoints.update(tx, { ...current, enabled: true, disabled_reason: null, failing_since: null }, true);
    });
    return this.toResponse(row!);
  }

  /**
   * Every failed delivery since `since` is queued again, durably: the first batch now, the
   * rest by worker jobs queued in the same transaction; answers at once with the count.
   */
  async recover(tenantId: string, id: string, since: Date): Promise<{ deliveries: number }> {
    if (Number.isNaN(since.getTime())) throw new InvalidInputError('since', 'must be an ISO-8601 date-time');
    return this.db.transaction(async (tx) => {
      const endpoint = await this.endpoints.findForUpdate(tx, tenantId, id);
      if (!endpoint) throw new NotFoundError('endpoint');
      if (!endpoint.enabled) throw new ConflictError('endpoint is disabled: enable it before recovering its deliveries');
      const deliveries = await this.endpoints.countFailedSince(tx, id, since);
      await recoverStep(tx, this.endpoints, id, since, null, null);
      return { deliveries };
    });
  }

  private toResponse(row: EndpointRow): EndpointResponse {
    return toEndpoint(row, this.config.endpointMaxInFlight);
  }

  private async require(tenantId: string, id: string): Promise<EndpointRow> {
    const row = await this.endpoints.find(tenantId, id);
    if (!row) throw new NotFoundError('endpoint');
    return row;
  }

  private async assertTargetAllowed(url: string): Promise<void> {
    if (this.config.allowPrivateTargets) return;
    const check = await checkTargetUrl(url);
    if (!check.ok) throw new TargetNotAllowedError(check.reason);
  }
}

function assertSecret(secret: string): void {
  if (!isValidSecret(secret)) throw new InvalidInputError('secret', 'must be whsec_ followed by the base64 of 24 to 64 bytes');
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

export function toEndpoint(row: EndpointRow, defaultMaxInFlight: number): EndpointResponse {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    signatureScheme: row.signature_scheme,
    headers: row.headers,
    summaries: row.summaries,
    rateLimitPerSecond: row.rate_limit_per_second,
    maxInFlight: row.max_in_flight ?? defaultMaxInFlight,
    circuit: {
      state: row.circuit_state,
      openedAt: row.circuit_opened_at?.toISOString() ?? null,
      nextProbeAt: row.circuit_next_probe_at?.toISOString() ?? null,
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
