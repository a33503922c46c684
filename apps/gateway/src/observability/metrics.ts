import type { ApolloServerPlugin } from "@apollo/server";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Operation names are chosen by clients; keep the label set bounded. */
const MAX_OPERATION_LABELS = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

interface OperationSeries {
  duration: { observe(seconds: number): void };
  ok: { inc(): void };
  error: { inc(): void };
}

/** Prometheus metrics of one gateway: per-operation GraphQL counts and latency, HTTP, process. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly knownOperations = new Set<string>();
  private readonly operationSeries = new Map<string, OperationSeries>();
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

  private readonly partnerOperations = new Counter({
    name: "honour_partner_operations_total",
    help: "GraphQL operations run per partner (API key's partner id)",
    labelNames: ["partner"] as const,
    registers: [this.registry],
  });
  private readonly partnerCost = new Counter({
    name: "honour_partner_query_cost_total",
    help: "Estimated query cost spent per partner",
    labelNames: ["partner"] as const,
    registers: [this.registry],
  });
  private readonly partnerRefusals = new Counter({
    name: "honour_partner_rate_limited_total",
    help: "Operations refused RATE_LIMITED per partner and policy (operations or cost)",
    labelNames: ["partner", "policy"] as const,
    registers: [this.registry],
  });

  /** What the rate limits report per partner (partner ids: a bounded set that staff create). */
  readonly partnerUsage = {
    operation: (partner: string, cost: number): void => {
      this.partnerOperations.inc({ partner });
      if (cost > 0) this.partnerCost.inc({ partner }, cost);
    },
    refused: (partner: string, policy: string): void => this.partnerRefusals.inc({ partner, policy }),
  };

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

  /**
   * The series of one operation label and type, their label objects made once rather than on
   * every request (prom-client still hashes them on each call). Bounded as the labels are
   * (operations × 4 types).
   */
  private seriesOf(operation: string, type: string): OperationSeries {
    const key = `${operation} ${type}`;
    let series = this.operationSeries.get(key);
    if (!series) {
      series = {
        duration: this.graphqlDuration.labels({ operation, type }),
        ok: this.graphqlRequests.labels({ operation, type, outcome: "ok" }),
        error: this.graphqlRequests.labels({ operation, type, outcome: "error" }),
      };
      this.operationSeries.set(key, series);
    }
    return series;
  }

  /** Apollo plugin that times each operation from request start to response. */
  plugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => {
        const started = performance.now();
        return {
          willSendResponse: async ({ operationName, operation, errors }) => {
            const series = this.seriesOf(this.label(operationName), operation?.operation ?? "unknown");
            series.duration.observe((performance.now() - started) / 1000);
            (errors?.length ? series.error : series.ok).inc();
          },
        };
      },
    };
  }
}
