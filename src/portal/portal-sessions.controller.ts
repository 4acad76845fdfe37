import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdParam, TenantIdParam } from '../common/id-param';
import { CreatePortalSessionDto, PortalSessionResponse } from './dto/create-portal-session.dto';
import { PortalSessionsService } from './portal-sessions.service';

/** Admin token or the tenant's key; a portal token cannot make or end sessions (404). */
@ApiTags('portal')
@ApiBearerAuth()
@Controller('v1/tenants/:tenantId/portal-sessions')
export class PortalSessionsController {
  constructor(private readonly sessions: PortalSessionsService) {}

  @Post()
  @ApiOperation({ summary: 'A link that opens the tenant portal signed in to this tenant (SPEC §11)' })
  create(@TenantIdParam() tenantId: string, @Body() body: CreatePortalSessionDto): Promise<PortalSessionResponse> {
    return this.sessions.create(tenantId, body ?? {});
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@TenantIdParam() tenantId: string, @IdParam('id', 'portal session') id: string): Promise<void> {
    await this.sessions.revoke(tenantId, id);
  }
}
