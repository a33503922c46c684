import type { ApolloServerPlugin } from "@apollo/server";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Operation names are chosen by clients; keep the label set bounded. */
const MAX_OPERATION_LABELS = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Prometheus metrics of one gateway: per-operation GraphQL counts and latency, HTTP, process. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly knownOperations = new Set<string>();
  private readonly graphqlRequests = new Counter({
    name: "honour_graphql_requests_total",
    help: "GraphQL operations by name, type and outcome",
    labelNames: ["operation", "type", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly graphqlDuration = new Histogram({
    name: "honour_graphql_request_duration_seconds",
    help: "GraphQL operation latency by name",
    labelNames: ["operation", "type"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: "honour_http_requests_total",
    help: "HTTP requests by route, method and status code",
    labelNames: ["route", "method", "status"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "honour_" });
  }

  private label(operation: string | null | undefined): string {
    if (!operation) return "anonymous";
    if (!OPERATION_NAME.test(operation)) return "other";
    if (!this.knownOperations.has(operation)) {
      if (this.knownOperations.size >= MAX_OPERATION_LABELS) return "other";
      this.knownOperations.add(operation);
    }
    return operation;
  }

  /** Apollo plugin that times each operation from request start to response. */
  plugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => {
        const started = process.hrtime.bigint();
        return {
          willSendResponse: async ({ operationName, operation, errors }) => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const operationLabel = this.label(operationName);
            const type = operation?.operation ?? "unknown";
            this.graphqlDuration.observe({ operation: operationLabel, type }, seconds);
            this.graphqlRequests.inc({ operation: operationLabel, type, outcome: errors?.length ? "error" : "ok" });
          },
        };
      },
    };
  }
}
