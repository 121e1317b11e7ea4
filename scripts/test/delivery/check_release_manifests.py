"""Asserts what a rendered release must be (scripts/deploy/render_release.sh output): its names,
namespace, labels, selectors and image, and the hardening every pod needs.
Usage: check_release_manifests.py MANIFESTS.yaml RELEASE IMAGE"""

import sys

import yaml


def main():
    path, release, image = sys.argv[1:4]
    ns = f"edge-predictor-{release}"
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    by_kind = {d["kind"]: d for d in docs}
    problems = []

    def expect(cond, what):
        if not cond:
            problems.append(what)

    expect(sorted(by_kind) == sorted(
        ["Namespace", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"]
    ), f"kinds: {sorted(by_kind)}")
    expect(len(docs) == 6, f"{len(docs)} objects")
    expect(by_kind["Namespace"]["metadata"]["name"] == ns, "namespace name")
    for d in docs:
        meta = d["metadata"]
        if d["kind"] != "Namespace":
            expect(meta.get("namespace") == ns, f"{d['kind']} namespace {meta.get('namespace')}")
        expect(meta["labels"].get("app.kubernetes.io/instance") == release, f"{d['kind']} instance label")

    dep = by_kind["Deployment"]
    pod = dep["spec"]["template"]
    selector = dep["spec"]["selector"]["matchLabels"]
    expect(selector.get("app.kubernetes.io/instance") == release, "deployment selector has the release")
    expect(all(pod["metadata"]["labels"].get(k) == v for k, v in selector.items()), "pod labels match selector")
    for kind, sel in [("Service", by_kind["Service"]["spec"]["selector"]),
                      ("PodDisruptionBudget", by_kind["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"])]:
        expect(sel.get("app.kubernetes.io/instance") == release, f"{kind} selector has the release")
        expect(all(pod["metadata"]["labels"].get(k) == v for k, v in sel.items()), f"{kind} selects the pods")
    expect(dep["spec"]["replicas"] >= 2, "2+ replicas")

    spec = pod["spec"]
    (c,) = spec["containers"]
    expect(c["image"] == image, f"image {c['image']} != {image}")
    expect(c["ports"][0]["containerPort"] == 8080, "port 8080")
    expect(any(p.get("name") == "grpc" and p["containerPort"] == 8081 for p in c["ports"]), "gRPC port 8081")
    expect(any(p.get("name") == "grpc" and p["port"] == 8081 and p["targetPort"] == "grpc"
               for p in by_kind["Service"]["spec"]["ports"]), "Service port grpc 8081")
    expect(c["startupProbe"]["httpGet"]["path"] == "/v2/health/live", "startup probe")
    expect(c["livenessProbe"]["httpGet"]["path"] == "/v2/health/live", "liveness probe")
    expect(c["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready", "readiness probe")
    for part in ("requests", "limits"):
        expect({"cpu", "memory"} <= set(c["resources"].get(part, {})), f"resources.{part}")
    sc, psc = c["securityContext"], spec["securityContext"]
    expect(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 65532, "non-root uid 65532")
    expect(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "seccomp RuntimeDefault")
    expect(sc.get("readOnlyRootFilesystem") is True, "read-only root")
    expect(sc.get("allowPrivilegeEscalation") is False, "no privilege escalation")
    expect(sc.get("capabilities", {}).get("drop") == ["ALL"], "all capabilities dropped")
    pre = c["lifecycle"]["preStop"]["sleep"]["seconds"]
    env = {e["name"]: e["value"] for e in c.get("env", [])}
    drain = int(env.get("DRAIN_TIMEOUT", "20s").rstrip("s"))
    expect(spec["terminationGracePeriodSeconds"] > pre + drain,
           f"grace {spec['terminationGracePeriodSeconds']} <= preStop {pre} + drain {drain}")

    ing = by_kind["Ingress"]
    ann = ing["metadata"]["annotations"]
    expect(ing["spec"]["ingressClassName"] == "alb", "ingressClassName alb")
    expect(ann.get("alb.ingress.kubernetes.io/target-type") == "ip", "target-type ip")
    expect(ann.get("alb.ingress.kubernetes.io/scheme") == "internet-facing", "internet-facing")
    expect(ann.get("alb.ingress.kubernetes.io/healthcheck-path") == "/v2/health/ready", "ALB health check path")
    backend = ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    expect(backend["name"] == by_kind["Service"]["metadata"]["name"], "ingress -> service")
    hpa = by_kind["HorizontalPodAutoscaler"]
    expect(hpa["apiVersion"] == "autoscaling/v2", "HPA autoscaling/v2")
    expect(hpa["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"], "HPA -> deployment")
    expect(hpa["spec"]["minReplicas"] >= 2, "HPA min 2")

    for p in problems:
        print(f"{path}: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
