import { Param, PipeTransform } from '@nestjs/common';
import { NotFoundError } from './errors';

const ID_SHAPE = /^[a-z]{2,4}_[0-9a-z]{26}$/;

/** A path id that cannot be one of ours is simply not found; it never reaches the database. */
class ParseIdPipe implements PipeTransform<string, string> {
  constructor(private readonly resource: string) {}

  transform(value: string): string {
    if (typeof value !== 'string' || !ID_SHAPE.test(value)) throw new NotFoundError(this.resource);
    return value;
  }
}

export const IdParam = (name: string, resource: string) => Param(name, new ParseIdPipe(resource));
export const TenantIdParam = () => IdParam('tenantId', 'tenant');
