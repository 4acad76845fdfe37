import { ApiProperty, ApiSchema } from '@nestjs/swagger';

const NEXT_CURSOR = { type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last page' } as const;

@ApiSchema({ name: 'Tenant' })
export class TenantResponse {
  @ApiProperty({ example: 'ten_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  id!: string;

  @ApiProperty({ example: 'Acme' })
  name!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

@ApiSchema({ name: 'TenantPage' })
export class TenantPage {
  @ApiProperty({ type: [TenantResponse] })
  data!: TenantResponse[];

  @ApiProperty(NEXT_CURSOR)
  nextCursor!: string | null;
}

@ApiSchema({ name: 'ApiKey' })
export class ApiKeyResponse {
  @ApiProperty({ example: 'key_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  id!: string;

  @ApiProperty()
  tenantId!: string;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

@ApiSchema({ name: 'ApiKeyPage' })
export class ApiKeyPage {
  @ApiProperty({ type: [ApiKeyResponse] })
  data!: ApiKeyResponse[];

  @ApiProperty(NEXT_CURSOR)
  nextCursor!: string | null;
}

@ApiSchema({ name: 'CreatedApiKey' })
export class CreatedApiKeyResponse extends ApiKeyResponse {
  /** Shown once, here only. */
  @ApiProperty({ example: 'whk_...', description: 'the key itself (`whk_...`): shown only in this response; only its hash is stored' })
  key!: string;
}
