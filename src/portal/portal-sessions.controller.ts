import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS } from '../common/api-docs';
import { IdParam, TenantIdParam } from '../common/id-param';
import { CreatePortalSessionDto } from './dto/create-portal-session.dto';
import { PortalSessionResponse } from './dto/portal-session.response';
import { PortalSessionsService } from './portal-sessions.service';

/** Admin token or the tenant's key; a portal token cannot make or end sessions (404). */
@ApiTags('portal')
@ApiBearerAuth()
@ApiErrors(401, 404)
@Controller('v1/tenants/:tenantId/portal-sessions')
export class PortalSessionsController {
  constructor(private readonly sessions: PortalSessionsService) {}

  @Post()
  @ApiOperation({ summary: 'A link that opens the tenant portal signed in to this tenant' })
  @ApiBody({ type: CreatePortalSessionDto, required: false })
  @ApiCreatedResponse({ type: PortalSessionResponse })
  @ApiErrors(...BODY_ERRORS)
  create(@TenantIdParam() tenantId: string, @Body() body: CreatePortalSessionDto): Promise<PortalSessionResponse> {
    return this.sessions.create(tenantId, body ?? {});
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a portal session: its token stops working at once' })
  @ApiNoContentResponse({ description: 'Revoked' })
  async revoke(@TenantIdParam() tenantId: string, @IdParam('id', 'portal session') id: string): Promise<void> {
    await this.sessions.revoke(tenantId, id);
  }
}
