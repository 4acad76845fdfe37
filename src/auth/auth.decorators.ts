import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';
export const ADMIN_ONLY = 'auth:admin-only';

/** No bearer token needed (health, metrics, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** Only the admin token; a tenant key gets 403. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

export const PORTAL_ROUTES = 'auth:portal-routes';
export const PORTAL_READ = 'auth:portal-read';
/** A portal session token may use these routes (the tenant's endpoints, events and deliveries). */
export const PortalRoutes = () => SetMetadata(PORTAL_ROUTES, true);
/** A POST that changes nothing (an explanation): a read-only portal session may call it. */
export const PortalRead = () => SetMetadata(PORTAL_READ, true);
