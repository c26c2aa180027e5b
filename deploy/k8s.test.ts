import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse } from "yaml";
import { loadConfig } from "../lib/config.js";
import { MCP_SERVER_NAMES } from "../mcp-servers/host/server.js";
import { metricNamesIn, namesInExposition } from "../monitoring/testing/metrics.js";
import { registerRunMetrics } from "../workers/metrics.js";
import { parseEnvFile } from "./testing/compose.js";
import { configVariables } from "./testing/config-variables.js";

const K8S = new URL("./k8s/", import.meta.url).pathname;

interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  terminationGracePeriodSeconds?: number;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Kustomization {
  resources?: string[];
  patches?: { path?: string; target?: { kind?: string; name?: string } }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  replicas?: { name: string; count: number }[];
}

function readKustomization(dir: string): Kustomization {
  return parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Kustomization;
}

function readObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message}`);
    return document.toJS() as K8sObject;
  });
}

/** The objects a kustomization puts together: its resources, recursively, with its image tags and replica counts applied. */
function build(dir: string): K8sObject[] {
  const kustomization = readKustomization(dir);
  const objects = (kustomization.resources ?? []).flatMap((resource) => {
    const path = join(dir, resource);
    return statSync(path).isDirectory() ? build(path) : readObjects(path);
  });
  for (const object of objects) {
    const pod = podSpec(object);
    for (const container of pod?.containers ?? []) {
      const [name] = container.image.split(":");
      const override = kustomization.images?.find((image) => image.name === name);
      if (override) container.image = `${override.newName ?? name}:${override.newTag ?? container.image.split(":")[1]}`;
    }
    const replicas = kustomization.replicas?.find((entry) => entry.name === object.metadata.name);
    if (replicas && object.spec) object.spec.replicas = replicas.count;
  }
  return objects;
}

function podSpec(object: K8sObject): PodSpec | undefined {
  return object.kind === "Deployment" ? ((object.spec?.template as { spec: PodSpec } | undefined)?.spec) : undefined;
}

function podLabels(object: K8sObject): Record<string, string> {
  return (object.spec?.template as { metadata: { labels: Record<string, string> } }).metadata.labels;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
}

const base = build(join(K8S, "base"));
const production = build(join(K8S, "overlays/production"));
const deployments = base.filter((object) => object.kind === "Deployment");
const byKind = (kind: string) => base.filter((object) => object.kind === kind);
const configMap = byKind("ConfigMap").find((object) => object.metadata.name === "event-planner-config");
const secretKeys = parseEnvFile(readFileSync(join(K8S, "base/secrets.env.example"), "utf8"));

describe("Kubernetes manifests (Kustomize)", () => {
  it("every kustomization lists resources and patches that exist, and no manifest is left out", () => {
    for (const dir of ["base", "overlays/production"]) {
      const kustomization = readKustomization(join(K8S, dir));
      for (const resource of kustomization.resources ?? []) {
        const path = join(K8S, dir, resource);
        expect(existsSync(path), `${dir}: ${resource}`).toBe(true);
        if (statSync(path).isDirectory()) expect(existsSync(join(path, "kustomization.yaml")), `${dir}: ${resource}`).toBe(true);
      }
      for (const patch of kustomization.patches ?? []) expect(existsSync(join(K8S, dir, patch.path ?? "")), `${dir}: ${patch.path}`).toBe(true);
    }
    const manifests = readdirSync(join(K8S, "base")).filter((name) => name.endsWith(".yaml") && name !== "kustomization.yaml");
    expect(manifests.sort()).toEqual([...(readKustomization(join(K8S, "base")).resources ?? [])].sort());
  });

  it("every object has an apiVersion, a kind and a name unique for its kind", () => {
    const seen = new Set<string>();
    for (const object of base) {
      expect(object.apiVersion, JSON.stringify(object.metadata)).toBeTruthy();
      const key = `${object.kind}/${object.metadata.name}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
    expect(deployments.map((object) => object.metadata.name).sort()).toEqual(["api", "worker", ...MCP_SERVER_NAMES.map((name) => `mcp-${name}`)].sort());
  });

  it("every Deployment: pinned image, resources, non-root and read-only, liveness on /healthz; the API ready on /readyz", () => {
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const pod = podSpec(deployment);
      expect(pod?.securityContext, name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(selects((deployment.spec?.selector as { matchLabels: Record<string, string> }).matchLabels, podLabels(deployment)), name).toBe(true);
      for (const container of pod?.containers ?? []) {
        expect(container.image, name).toMatch(/^ghcr\.io\/[\w-]+\/event-planner(-mcp-[a-z]+)?:\d+\.\d+\.\d+$/);
        expect(container.resources?.requests?.cpu, name).toBeTruthy();
        expect(container.resources?.requests?.memory, name).toBeTruthy();
        expect(container.resources?.limits?.memory, name).toBeTruthy();
        expect(container.securityContext, name).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        expect(container.livenessProbe?.httpGet?.path, name).toBe("/healthz");
        expect(container.startupProbe?.httpGet?.path, name).toBe("/healthz");
        expect(container.readinessProbe?.httpGet?.path, name).toBe(name === "api" ? "/readyz" : "/healthz");
        const portNames = (container.ports ?? []).map((port) => port.name);
        for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) expect(portNames, name).toContain(probe?.httpGet?.port);
        // Prometheus scrapes the port the process serves /metrics on.
        expect((container.ports ?? []).map((port) => String(port.containerPort)), name).toContain(deployment.spec && (deployment.spec.template as { metadata: { annotations: Record<string, string> } }).metadata.annotations["prometheus.io/port"]);
      }
    }
    const worker = deployments.find((deployment) => deployment.metadata.name === "worker");
    expect(podSpec(worker ?? deployments[0] as K8sObject)?.terminationGracePeriodSeconds).toBeGreaterThan(Number(configMap?.data?.WORKER_SHUTDOWN_SECONDS));
  });

  it("every Deployment has a PodDisruptionBudget over its pods, and every Service selects a Deployment's pods on a port they name", () => {
    for (const deployment of deployments) {
      const budgets = byKind("PodDisruptionBudget").filter((budget) => selects((budget.spec?.selector as { matchLabels: Record<string, string> }).matchLabels, podLabels(deployment)));
      expect(budgets, deployment.metadata.name).toHaveLength(1);
      const spec = budgets[0]?.spec ?? {};
      expect("minAvailable" in spec || "maxUnavailable" in spec, deployment.metadata.name).toBe(true);
      if ("minAvailable" in spec) expect(spec.minAvailable as number, deployment.metadata.name).toBeLessThan(deployment.spec?.replicas as number);
    }
    for (const service of byKind("Service")) {
      const target = deployments.find((deployment) => selects(service.spec?.selector as Record<string, string>, podLabels(deployment)));
      expect(target, service.metadata.name).toBeDefined();
      const portNames = (podSpec(target as K8sObject)?.containers ?? []).flatMap((container) => (container.ports ?? []).map((port) => port.name));
      for (const port of service.spec?.ports as { targetPort: string }[]) expect(portNames, service.metadata.name).toContain(port.targetPort);
    }
  });

  it("scales the workers with KEDA on queue depth, a metric the workers really export", async () => {
    const [scaled] = byKind("ScaledObject");
    const spec = scaled?.spec as { scaleTargetRef: { name: string; kind: string }; minReplicaCount: number; maxReplicaCount: number; triggers: { type: string; metadata: { query: string; threshold: string } }[] };
    expect(spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: "worker" });
    expect(deployments.map((deployment) => deployment.metadata.name)).toContain(spec.scaleTargetRef.name);
    // The workers report the queue; at zero workers nobody would, and the scaler could not wake them.
    expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(spec.maxReplicaCount).toBeGreaterThan(spec.minReplicaCount);
    const trigger = spec.triggers[0];
    expect(trigger?.type).toBe("prometheus");
    expect(Number(trigger?.metadata.threshold)).toBeGreaterThan(0);
    const registry = new Registry();
    registerRunMetrics(registry, { depth: () => Promise.resolve({ waiting: 0, active: 0, prioritized: 0 }) });
    const exported = namesInExposition(await registry.metrics());
    const used = metricNamesIn(trigger?.metadata.query ?? "");
    expect([...used]).toEqual(["queue_jobs"]);
    expect(exported).toContain("queue_jobs");
  });

  it("gives each process only variables the application reads, from documented Secret keys, in a configuration it accepts", () => {
    const known = configVariables();
    expect(Object.keys(configMap?.data ?? {}).filter((name) => !known.has(name))).toEqual([]);
    for (const deployment of deployments) {
      for (const container of podSpec(deployment)?.containers ?? []) {
        const environment: Record<string, string> = { ...configMap?.data };
        for (const variable of container.env ?? []) {
          expect(known.has(variable.name), `${deployment.metadata.name}: ${variable.name}`).toBe(true);
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref) {
            expect(ref.name).toBe("event-planner-secrets");
            expect(secretKeys.has(ref.key), `${deployment.metadata.name}: ${ref.key}`).toBe(true);
            // Required secrets get a stand-in of the documented shape; optional ones stay unset.
            if (!ref.optional) environment[variable.name] = secretKeys.get(ref.key) || "s".repeat(40);
          } else environment[variable.name] = variable.value ?? "";
        }
        expect(() => loadConfig(environment), deployment.metadata.name).not.toThrow();
      }
    }
  });

  it("points the workers at each MCP server's Service, by a host name that server accepts", () => {
    const services = byKind("Service");
    for (const name of MCP_SERVER_NAMES) {
      const url = new URL(configMap?.data?.[`MCP_${name.toUpperCase()}_URL`] ?? "");
      const service = services.find((candidate) => candidate.metadata.name === url.hostname);
      expect(service, name).toBeDefined();
      expect((service?.spec?.ports as { port: number }[])[0]?.port, name).toBe(Number(url.port || 80));
      const server = deployments.find((deployment) => deployment.metadata.name === `mcp-${name}`);
      const allowed = podSpec(server as K8sObject)?.containers[0]?.env?.find((variable) => variable.name === "MCP_ALLOWED_HOSTS")?.value ?? "";
      expect(allowed.split(","), name).toContain(url.hostname);
    }
    const policy = byKind("NetworkPolicy")[0];
    const selected = deployments.filter((deployment) => selects((policy?.spec?.podSelector as { matchLabels: Record<string, string> }).matchLabels, podLabels(deployment)));
    expect(selected.map((deployment) => deployment.metadata.name).sort()).toEqual(MCP_SERVER_NAMES.map((name) => `mcp-${name}`).sort());
  });

  it("routes the public host to the API with a 1 MiB body limit, and keeps /metrics and /readyz from outside", () => {
    const [publicIngress, internal] = byKind("Ingress");
    expect(publicIngress?.metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-body-size"]).toBe("1m");
    for (const ingress of [publicIngress, internal]) {
      for (const rule of (ingress?.spec?.rules as { http: { paths: { path: string; backend: { service: { name: string; port: { name: string } } } }[] } }[]) ?? []) {
        for (const path of rule.http.paths) {
          const service = byKind("Service").find((candidate) => candidate.metadata.name === path.backend.service.name);
          expect((service?.spec?.ports as { name: string }[]).map((port) => port.name)).toContain(path.backend.service.port.name);
        }
      }
    }
    // Twilio signs the public URL: PUBLIC_BASE_URL must name the host the Ingress serves, here and in the overlay.
    const host = (ingress: K8sObject | undefined) => (ingress?.spec?.rules as { host: string }[])[0]?.host;
    expect(new URL(configMap?.data?.PUBLIC_BASE_URL ?? "").host).toBe(host(publicIngress));
    expect(host(internal)).toBe(host(publicIngress));
    const overlayDir = join(K8S, "overlays/production/patches");
    const overlayHost = (parse(readFileSync(join(overlayDir, "ingress-host.yaml"), "utf8")) as { path: string; value: string }[]).find((op) => op.path === "/spec/rules/0/host")?.value;
    const overlayConfig = parse(readFileSync(join(overlayDir, "config.yaml"), "utf8")) as K8sObject;
    expect(new URL(overlayConfig.data?.PUBLIC_BASE_URL ?? "").host).toBe(overlayHost);
    const internalPaths = (internal?.spec?.rules as { http: { paths: { path: string }[] } }[])[0]?.http.paths.map((path) => path.path);
    expect(internalPaths).toEqual(["/metrics", "/readyz"]);
    expect(internal?.metadata.annotations?.["nginx.ingress.kubernetes.io/whitelist-source-range"]).toBe("127.0.0.1/32");
  });

  it("the production overlay pins a release of every image in the base and keeps two or more API replicas", () => {
    const images = (objects: K8sObject[]) => objects.flatMap((object) => (podSpec(object)?.containers ?? []).map((container) => container.image));
    const overlay = readKustomization(join(K8S, "overlays/production"));
    const overridden = new Set((overlay.images ?? []).map((image) => image.name));
    for (const image of images(base)) expect(overridden.has(image.split(":")[0] ?? ""), image).toBe(true);
    for (const image of images(production)) expect(image).toMatch(/:\d+\.\d+\.\d+$/);
    expect(production.find((object) => object.kind === "Deployment" && object.metadata.name === "api")?.spec?.replicas).toBeGreaterThanOrEqual(2);
    for (const patch of overlay.patches ?? []) {
      const target = patch.target?.kind ?? (parse(readFileSync(join(K8S, "overlays/production", patch.path ?? ""), "utf8")) as K8sObject).kind;
      expect(base.some((object) => object.kind === target), patch.path).toBe(true);
    }
  });
});
