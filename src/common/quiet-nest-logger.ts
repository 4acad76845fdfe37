import { LoggerService } from '@nestjs/common';

/**
 * Nest's own start-up chatter: one line per module (InstanceLoader), one per controller
 * (RoutesResolver) and one per route (RouterExplorer), about sixty lines at every start. They
 * say nothing an operator acts on, so they are logged at debug; our own start-up lines (role,
 * address, database, worker, docs) stay at info.
 */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'NestApplicationContext']);

/** The app's logger (nestjs-pino's), with Nest's own info lines moved down to debug. */
export class QuietNestLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) this.debug(message, ...optionalParams);
    else this.inner.log(message, ...optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.error(message, ...optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.warn(message, ...optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.debug?.(message, ...optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.verbose?.(message, ...optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    if (this.inner.fatal) this.inner.fatal(message, ...optionalParams);
    else this.inner.error(message, ...optionalParams);
  }
}
