import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'PortalSession' })
export class PortalSessionResponse {
  @ApiProperty()
  id!: string;

  /** Opens the portal signed in to the tenant; carries the token in its fragment. */
  @ApiProperty({ example: '/portal/#token=pts_...&tenant=ten_...', description: 'opens the portal signed in to the tenant (the token is in its fragment)' })
  url!: string;

  /** `pts_...`: shown only here; only its hash is stored. */
  @ApiProperty({ example: 'pts_...', description: 'shown only here; only its hash is stored' })
  token!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty()
  readOnly!: boolean;
}
