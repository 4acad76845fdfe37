import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { InvalidInputError } from './errors';

export class ListQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is invalid' })
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cursors wrap the last id of a page; ids sort by time, so "id < cursor" is the next page. */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]+_[0-9a-z]{26}$/.test(id)) throw new InvalidInputError('cursor', 'is invalid');
  return id;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/**
 * Rows were fetched with limit + 1: the extra row tells whether another page exists. A read
 * that stopped early (its scan budget spent) passes where it stopped as `continueAfter`: the
 * page may then be short, or empty, and still have a next one.
 */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T, continueAfter: string | null = null): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  const next = hasMore && last ? last.id : continueAfter;
  return { data: pageRows.map(map), nextCursor: next === null ? null : encodeCursor(next) };
}

export function pageLimit(query: ListQueryDto): number {
  return query.limit ?? 20;
}
