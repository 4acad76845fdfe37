import { ApiProperty, ApiSchema } from '@nestjs/swagger';

const CHECK = { enum: ['up', 'down', 'not run in this process'] } as const;

@ApiSchema({ name: 'Liveness' })
export class LivenessResponse {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

@ApiSchema({ name: 'ReadinessChecks' })
export class ReadinessChecks {
  @ApiProperty(CHECK)
  database!: string;

  @ApiProperty(CHECK)
  migrations!: string;

  @ApiProperty(CHECK)
  worker!: string;
}

@ApiSchema({ name: 'Readiness' })
export class ReadinessResponse {
  @ApiProperty({ enum: ['ok', 'unavailable'] })
  status!: 'ok' | 'unavailable';

  @ApiProperty({ type: ReadinessChecks })
  checks!: ReadinessChecks;
}
