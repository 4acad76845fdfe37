/* eslint-disable */
// Lets a plain Node process require the TypeScript sources, compiled on the fly with @swc/core
// the way jest compiles them. For child processes of the tests (crash, shutdown, embedded-postgres).
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
