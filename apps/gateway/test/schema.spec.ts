import { readFileSync } from "node:fs";
import { SCHEMA_FILE, printGatewaySchema } from "../src/emit-schema";

describe("the committed schema.graphql", () => {
  it("matches the schema the gateway serves (run `npm run emit-schema -w @honour/gateway` after an API change)", async () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(await printGatewaySchema());
  });
});
