/* eslint-disable */
// The service's own entry point (src/main.ts, with its signal handling) in a child process:
// `node child-main.js [api|worker]`, configured by the environment like `npm start`.
require('./swc-register');
require('../../src/main.ts');
