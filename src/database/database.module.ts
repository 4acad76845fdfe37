import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { Pool } from 'pg';
import { ALL_MIGRATIONS } from '../../migrations';
import { Db, POOL_SOCKET_OPTIONS } from './db';
import { LogPartitionsService } from './log-partitions.service';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(databaseUrl: string, poolSize: number): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: databaseUrl,
          migrations: ALL_MIGRATIONS,
          migrationsTableName: 'typeorm_migrations',
          synchronize: false,
          retryAttempts: 3,
          retryDelay: 1000,
          extra: { max: poolSize, connectionTimeoutMillis: 5000, ...POOL_SOCKET_OPTIONS },
        }),
      ],
      providers: [
        {
          provide: Db,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => {
            const pool = (dataSource.driver as PostgresDriver).master as Pool;
            // An idle client that errors (database restart) must not crash the process.
            pool.on('error', () => undefined);
            return new Db(pool);
          },
        },
        LogPartitionsService,
      ],
      exports: [Db, LogPartitionsService],
    };
  }
}
