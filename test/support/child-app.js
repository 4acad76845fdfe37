/* eslint-disable */
// Runs the real application in a child process, so a test can kill it (SIGKILL) mid-attempt.
// TypeScript is compiled on the fly with @swc/core, like jest does. Environment: CHILD_DATABASE_URL
// plus the app's own variables. Prints "READY <port>" once listening.
require('./swc-register');

(async () => {
  const { createHttpApp } = require('../../src/bootstrap');
  const { loadConfig } = require('../../src/config/config');
  const config = loadConfig(process.env);
  const app = await createHttpApp(config, 'all', process.env.CHILD_DATABASE_URL);
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${app.getHttpServer().address().port}\n`);
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
