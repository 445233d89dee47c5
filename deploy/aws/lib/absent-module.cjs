// Stands in, inside the Lambda bundles, for a package those functions must not load (the local face engine's
// native and model packages, the SQLite driver). Importing it is harmless; using it throws, naming the cause.
'use strict';
const fail = () => {
  throw new Error('This package is not part of the Lambda bundle (local engine / SQLite only)');
};
const absent = new Proxy(fail, {
  get: (_target, key) => (key === '__esModule' ? false : key === 'then' ? undefined : absent),
  apply: fail,
  construct: fail,
});
module.exports = absent;
