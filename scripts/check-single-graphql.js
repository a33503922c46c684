// type-graphql breaks in confusing ways when two copies of graphql are installed; fail CI instead.
const { execSync } = require("node:child_process");
const out = execSync("npm ls graphql --all --parseable", { encoding: "utf8" });
const copies = [...new Set(out.split("\n").filter(Boolean))];
if (copies.length !== 1) {
  console.error(`Expected exactly one copy of graphql, found ${copies.length}:\n${copies.join("\n")}`);
  process.exit(1);
}
console.log("graphql: one copy");
