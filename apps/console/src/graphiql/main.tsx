import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "./page.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

// Same origin, so the browser sends the session cookie: queries run as the signed-in user. The
// header is what Apollo Server's CSRF prevention asks of a browser client.
const fetcher = createGraphiQLFetcher({
  url: "/graphql",
  headers: { "apollo-require-preflight": "true" },
});

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultEditorToolsVisibility={false} />
  </StrictMode>,
);
