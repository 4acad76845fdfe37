import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';

export interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
}

@Injectable()
export class TenantsRepository {
  constructor(private readonly db: Db) {}

  insert(id: string, name: string): Promise<TenantRow | null> {
    return this.db.one<TenantRow>(`insert into tenants (id, name) values ($1, $2) returning id, name, created_at`, [id, name]);
  }

  find(id: string): Promise<TenantRow | null> {
    return this.db.one<TenantRow>(`select id, name, created_at from tenants where id = $1`, [id]);
  }

  list(limit: number, before: string | null): Promise<TenantRow[]> {
    return this.db.query<TenantRow>(
      `select id, name, created_at from tenants where ($1::text is null or id < $1) order by id desc limit $2`,
      [before, limit],
    );
  }
}
