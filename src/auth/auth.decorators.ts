import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';
export const ADMIN_ONLY = 'auth:admin-only';

/** No bearer token needed (health, metrics, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** Only the admin token; a tenant key gets 403. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);
