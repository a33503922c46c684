const base = require("../../jest.config.base.js")(__dirname);

module.exports = {
  ...base,
  // No decorators here, so no reflect-metadata.
  setupFiles: [],
  // The example imports the package by name, as a reseller's copy would; test it against src.
  moduleNameMapper: { "^@honour/client$": "<rootDir>/src/index.ts" },
  // The end-to-end suite starts the built gateway as a process.
  testTimeout: 120_000,
};
