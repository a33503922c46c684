import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

/**
 * Copies the console's trusted documents (written by scripts/codegen.mjs) into dist/, where the
 * gateway loads them beside @honour/client's; dist/ is what the Docker image copies.
 */
function trustedDocuments(): Plugin {
  return {
    name: "honour-trusted-documents",
    apply: "build",
    generateBundle() {
      const manifest = fileURLToPath(new URL("src/generated/persisted-documents.json", import.meta.url));
      this.emitFile({ type: "asset", fileName: "persisted-documents.json", source: readFileSync(manifest, "utf8") });
    },
  };
}

/**
 * Two pages from one build: the staff console (index.html, served at /console) and the offline
 * GraphQL IDE (graphiql.html, served by the gateway at GET /graphql for a browser). Everything is
 * bundled here, so neither loads anything from another origin; hashed file names under
 * /console/assets/ let the gateway cache them for a year.
 */
export default defineConfig({
  base: "/console/",
  plugins: [react(), trustedDocuments()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The manifest tells the bench which chunks the console's first page loads.
    manifest: true,
    // Monaco (GraphiQL's editor) alone is larger than Vite's default warning size.
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: { console: "index.html", graphiql: "graphiql.html" },
      // GraphiQL's modules start with React Compiler's "use no memo", which bundling drops harmlessly.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});
