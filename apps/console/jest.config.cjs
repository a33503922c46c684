// Unit tests of the console's pure parts (periods, CSV, error words); the console in a browser is
// tested by the gateway's console.browser.e2e-spec.ts against the built gateway.
module.exports = {
  rootDir: __dirname,
  testEnvironment: "node",
  transform: {
    "^.+\\.tsx?$": ["ts-jest", { tsconfig: { module: "commonjs", jsx: "react-jsx", isolatedModules: true } }],
  },
  testMatch: ["<rootDir>/src/**/*.spec.ts", "<rootDir>/test/**/*.spec.ts"],
  maxWorkers: 2,
};
