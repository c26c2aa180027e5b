import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * One Prometheus registry per process (API, worker, each MCP server), with Node's default metrics
 * and a `service` label so dashboards can tell the processes apart.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
