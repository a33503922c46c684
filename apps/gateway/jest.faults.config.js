// The fault suite (`npm run test:faults`): the built gateway against MariaDB behind a fault proxy,
// with figures. Not part of `npm test`: the normal config never matches *.fault-spec.ts.
const base = require("../../jest.config.base.js")(__dirname);

module.exports = {
  ...base,
  testMatch: ["<rootDir>/test/faults/**/*.fault-spec.ts"],
  // One scenario at a time: each loads the shared MariaDB and the two cores on purpose.
  maxWorkers: 1,
  testTimeout: 120_000,
};
