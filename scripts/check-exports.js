#!/usr/bin/env node
/*
 * Lists the exports of each domain package's front doors that nothing outside the package uses.
 *
 * For every package under packages/ (except the private `testing` package) it takes the entries of
 * its package.json `exports` map ("." and "./graphql"), maps each to its source file in src/, and
 * asks the TypeScript compiler for the names that file exports (following `export *`). It then
 * reads every other workspace's src/ and test/ (and the root scripts/) and collects the names
 * imported from `@honour/<name>` or `@honour/<name>/graphql`. A name nobody imports is reported
 * unless the package's README.md lists it, in backticks, under a `## Public API` heading. A
 * published package (no `"private": true`, such as @honour/client) is all public API and skipped.
 *
 *   node scripts/check-exports.js     exit 0 when every export is used or documented, 1 otherwise
 *
 * A front door may not use `export * from`: it names each export.
 *
 * A namespace import (`import * as x from "@honour/…"`) or `export * from "@honour/…"` counts as a
 * use of every name of that entry.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const ROOT = path.resolve(__dirname, "..");
const SOURCE_EXTENSIONS = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", "coverage", ".turbo"]);
const EXCLUDED_PACKAGES = new Set(["testing"]);

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** Directories of every workspace named by the root package.json (`packages/*`, `apps/*`, …). */
function workspaces() {
  const patterns = readJson(path.join(ROOT, "package.json")).workspaces ?? [];
  const dirs = [];
  for (const pattern of patterns) {
    if (pattern.endsWith("/*")) {
      const parent = path.join(ROOT, pattern.slice(0, -2));
      if (!fs.existsSync(parent)) continue;
      for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
        const dir = path.join(parent, entry.name);
        if (entry.isDirectory() && fs.existsSync(path.join(dir, "package.json"))) dirs.push(dir);
      }
    } else if (fs.existsSync(path.join(ROOT, pattern, "package.json"))) {
      dirs.push(path.join(ROOT, pattern));
    }
  }
  return dirs;
}

function sourceFiles(dir, found = []) {
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(full, found);
    else if (SOURCE_EXTENSIONS.test(entry.name) && !entry.name.endsWith(".d.ts")) found.push(full);
  }
  return found;
}

/**
 * The source file behind one entry of the `exports` map: `./dist/graphql.js` is built from
 * `src/graphql.ts`. Falls back to src/index.ts for "." and src/<sub>.ts for "./<sub>".
 */
function entrySource(packageDir, subpath, target) {
  const candidates = [];
  const targets =
    typeof target === "string" ? [target] : Object.values(target ?? {}).filter((t) => typeof t === "string");
  for (const t of targets) {
    const base = t
      .replace(/^\.\//, "")
      .replace(/^dist\//, "src/")
      .replace(/(\.d)?\.(ts|js|mjs|cjs)$/, "");
    candidates.push(`${base}.ts`, `${base}.tsx`);
  }
  candidates.push(subpath === "." ? "src/index.ts" : `src/${subpath.replace(/^\.\//, "")}.ts`);
  for (const candidate of candidates) {
    const file = path.join(packageDir, candidate);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/** Each front door of a package: its import specifier and the names its source file exports. */
function frontDoors(packageDir) {
  const pkg = readJson(path.join(packageDir, "package.json"));
  const map = pkg.exports && typeof pkg.exports === "object" ? pkg.exports : { ".": pkg.main ?? "./dist/index.js" };
  const doors = [];
  for (const [subpath, target] of Object.entries(map)) {
    if (!subpath.startsWith(".") || subpath.includes("*") || subpath.endsWith(".json")) continue;
    const file = entrySource(packageDir, subpath, target);
    if (!file) continue;
    doors.push({ specifier: subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, file });
  }
  if (doors.length === 0) return { name: pkg.name, doors };
  const program = ts.createProgram(
    doors.map((d) => d.file),
    {
      noEmit: true,
      skipLibCheck: true,
      allowJs: false,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      experimentalDecorators: true,
      types: [],
    },
  );
  const checker = program.getTypeChecker();
  for (const door of doors) {
    const sourceFile = program.getSourceFile(door.file);
    const symbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
    door.names = symbol
      ? checker
          .getExportsOfModule(symbol)
          .map((s) => s.getName())
          .sort()
      : [];
  }
  return { name: pkg.name, doors };
}

/** `## Public API` in the package README: every backticked identifier in that section. */
function documentedNames(packageDir) {
  const readme = path.join(packageDir, "README.md");
  if (!fs.existsSync(readme)) return new Set();
  const names = new Set();
  let inSection = false;
  for (const line of fs.readFileSync(readme, "utf8").split("\n")) {
    if (/^##\s/.test(line)) inSection = /^##\s+Public API\s*$/i.test(line);
    if (!inSection) continue;
    for (const match of line.matchAll(/`([^`]+)`/g)) {
      const name = /^[A-Za-z_$][\w$]*/.exec(match[1].trim());
      if (name) names.add(name[0]);
    }
  }
  return names;
}

/**
 * Every name imported from `specifier` in a file, by parsing it: named imports and re-exports,
 * `require` destructuring, `import("…").Name` types. "*" marks a use of the whole entry.
 */
function importsIn(file, wanted) {
  const text = fs.readFileSync(file, "utf8");
  const used = new Map();
  if (![...wanted].some((specifier) => text.includes(specifier))) return used;
  const add = (specifier, name) => {
    if (!wanted.has(specifier)) return;
    if (!used.has(specifier)) used.set(specifier, new Set());
    used.get(specifier).add(name);
  };
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const specifier = node.moduleSpecifier.text;
      const clause = node.importClause;
      if (clause?.name) add(specifier, "default");
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) add(specifier, "*");
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) add(specifier, (element.propertyName ?? element.name).text);
      }
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const specifier = node.moduleSpecifier.text;
      if (!node.exportClause || ts.isNamespaceExport(node.exportClause)) add(specifier, "*");
      else
        for (const element of node.exportClause.elements) add(specifier, (element.propertyName ?? element.name).text);
    } else if (
      ts.isCallExpression(node) &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0]) &&
      ((ts.isIdentifier(node.expression) && node.expression.text === "require") ||
        node.expression.kind === ts.SyntaxKind.ImportKeyword)
    ) {
      const specifier = node.arguments[0].text;
      const parent = node.parent;
      if (ts.isVariableDeclaration(parent) && ts.isObjectBindingPattern(parent.name)) {
        for (const element of parent.name.elements) {
          const key = element.propertyName ?? element.name;
          if (ts.isIdentifier(key)) add(specifier, key.text);
        }
      } else if (ts.isPropertyAccessExpression(parent)) {
        add(specifier, parent.name.text);
      } else {
        add(specifier, "*");
      }
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      const specifier = node.argument.literal.text;
      if (node.qualifier) {
        let first = node.qualifier;
        while (ts.isQualifiedName(first)) first = first.left;
        add(specifier, first.text);
      } else add(specifier, "*");
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return used;
}

function main() {
  const all = workspaces();
  const packages = all.filter(
    (dir) => path.basename(path.dirname(dir)) === "packages" && !EXCLUDED_PACKAGES.has(path.basename(dir)),
  );
  let failed = false;
  for (const packageDir of packages) {
    const { name, doors } = frontDoors(packageDir);
    if (doors.length === 0) continue;
    if (readJson(path.join(packageDir, "package.json")).private !== true) {
      // Published for outside users (@honour/client): every export is its public API, under semver.
      console.log(`${name} (${path.relative(ROOT, packageDir)}): published, so every export is public API`);
      continue;
    }
    const wanted = new Set(doors.map((d) => d.specifier));
    const used = new Map(doors.map((d) => [d.specifier, new Set()]));
    const consumers = all
      .filter((dir) => dir !== packageDir)
      .flatMap((dir) => ["src", "test"].map((sub) => path.join(dir, sub)));
    consumers.push(path.join(ROOT, "scripts"));
    for (const file of consumers.flatMap((dir) => sourceFiles(dir))) {
      for (const [specifier, names] of importsIn(file, wanted)) for (const n of names) used.get(specifier).add(n);
    }
    const documented = documentedNames(packageDir);
    const unused = [];
    // A front door names what it lets out: `export * from` would let out whatever a file adds.
    for (const door of doors) {
      if (/^\s*export\s*\*\s*from\s/m.test(fs.readFileSync(door.file, "utf8"))) {
        unused.push(`${door.specifier}: has "export * from" (name each export instead)`);
      }
    }
    for (const door of doors) {
      const names = used.get(door.specifier);
      if (names.has("*")) continue;
      for (const exported of door.names) {
        if (!names.has(exported) && !documented.has(exported)) unused.push(`${door.specifier}: ${exported}`);
      }
    }
    const relative = path.relative(ROOT, packageDir);
    if (unused.length > 0) {
      failed = true;
      console.log(
        `${name} (${relative}): ${unused.length} export(s) nothing outside imports and README "Public API" does not list`,
      );
      for (const line of unused) console.log(`  ${line}`);
    } else {
      console.log(`${name} (${relative}): every export is used or documented`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

main();
