// Shared jest settings: ts-jest transpiles only (isolatedModules); `npm run typecheck` type-checks.
/** @param {string} dir the package directory */
module.exports = (dir) => ({
  rootDir: dir,
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: `${dir}/tsconfig.json` }] },
  setupFiles: ["reflect-metadata"],
  testMatch: ["<rootDir>/src/**/*.spec.ts", "<rootDir>/test/**/*.spec.ts", "<rootDir>/test/**/*.e2e-spec.ts"],
  testTimeout: 60_000,
  maxWorkers: 2,
});
