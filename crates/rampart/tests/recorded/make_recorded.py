#!/usr/bin/env python3
"""Writes the recorded API responses the live-cluster tests serve.

The objects are examples/insecure (plus what a real cluster adds around them: mirror
pods of the control plane, nodes, ReplicaSets and Pods of the Deployments, service
account token Secrets, kube-root-ca.crt ConfigMaps), stored the way the API server
returns them: with uid, resourceVersion, managedFields, the last-applied annotation and
status. Discovery documents follow a v1.31 API server's, trimmed to the groups read.

    python3 crates/rampart/tests/recorded/make_recorded.py   # from the repository root
"""
import copy, json, os, yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../../.."))
counter = [1000]


def stamp(o, manager="kubectl-client-side-apply", applied=True):
    counter[0] += 1
    n = counter[0]
    m = o.setdefault("metadata", {})
    if applied:
        m.setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(o, sort_keys=True) + "\n"
    m["uid"] = "5f0c%04d-3c1a-4b1e-9d2f-%012d" % (n % 10000, n)
    m["resourceVersion"] = str(n)
    m["creationTimestamp"] = "2026-01-12T09:%02d:%02dZ" % (n // 60 % 60, n % 60)
    m["managedFields"] = [{
        "manager": manager, "operation": "Update", "apiVersion": o["apiVersion"],
        "time": m["creationTimestamp"], "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}},
                     "f:spec": {}},
    }]
    return o


objects = []
for name in ["namespace", "api", "storefront", "worker"]:
    with open(os.path.join(ROOT, "examples/insecure", name + ".yaml")) as f:
        for doc in yaml.safe_load_all(f):
            if doc:
                objects.append(stamp(doc))

for ns in ["default", "kube-system", "kube-public"]:
    objects.append(stamp({"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}},
                         manager="kube-apiserver", applied=False))
for o in objects:
    if o["kind"] == "Namespace":
        o.setdefault("spec", {"finalizers": ["kubernetes"]})
        o["status"] = {"phase": "Active"}

# The control plane's mirror pods: their flags are the cluster's facts.
with open(os.path.join(ROOT, "examples/insecure/control-plane/kube-apiserver.yaml")) as f:
    apiserver = yaml.safe_load(f)
apiserver["metadata"]["name"] = "kube-apiserver-cp-1"
apiserver["metadata"].setdefault("annotations", {}).update({
    "kubernetes.io/config.hash": "0a1b2c3d4e5f", "kubernetes.io/config.mirror": "0a1b2c3d4e5f",
    "kubernetes.io/config.source": "file"})
apiserver["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": "cp-1", "uid": "node-cp-1", "controller": True}]
apiserver["spec"]["nodeName"] = "cp-1"
apiserver["status"] = {"phase": "Running", "hostIP": "172.18.0.2", "podIP": "172.18.0.2", "qosClass": "Burstable",
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": c["name"], "image": c["image"], "imageID": "registry.k8s.io/kube-apiserver@sha256:" + "ab" * 32,
                                              "ready": True, "restartCount": 0, "started": True,
                                              "state": {"running": {"startedAt": "2026-01-12T09:00:00Z"}}} for c in apiserver["spec"]["containers"]]}
objects.append(stamp(apiserver, manager="kubelet", applied=False))

for node, role in [("cp-1", "control-plane"), ("worker-1", None), ("worker-2", None)]:
    labels = {"kubernetes.io/hostname": node, "kubernetes.io/os": "linux"}
    if role:
        labels["node-role.kubernetes.io/control-plane"] = ""
    objects.append(stamp({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node, "labels": labels},
        "spec": {"podCIDR": "10.244.%d.0/24" % len(node), "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}] if role else []},
        "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.%d" % len(node)}],
                   "capacity": {"cpu": "8", "memory": "32863320Ki", "pods": "110"},
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                   "images": [{"names": ["registry.k8s.io/etcd@sha256:" + "cd" * 32, "registry.k8s.io/etcd:3.5.15-0"], "sizeBytes": 56909194}] * 12,
                   "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.18", "kernelVersion": "6.8.0-40-generic",
                                "kubeProxyVersion": "v1.31.2", "kubeletVersion": "v1.31.2", "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12 (bookworm)"}}},
        manager="kubelet", applied=False))

# What controllers add: a ReplicaSet per Deployment and its Pods (enough for several pages).
for d in [o for o in objects if o["kind"] == "Deployment"]:
    d["status"] = {"replicas": d["spec"].get("replicas", 1), "readyReplicas": d["spec"].get("replicas", 1), "observedGeneration": 1}
    rs_name = d["metadata"]["name"] + "-7d9f8c6b5"
    template = copy.deepcopy(d["spec"]["template"])
    labels = dict(template["metadata"].get("labels", {}), **{"pod-template-hash": "7d9f8c6b5"})
    template["metadata"]["labels"] = labels
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": rs_name, "namespace": d["metadata"]["namespace"], "labels": labels,
                       "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": d["metadata"]["name"], "uid": d["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]},
          "spec": {"replicas": 6, "selector": {"matchLabels": labels}, "template": template},
          "status": {"replicas": 6, "readyReplicas": 6}}
    objects.append(stamp(rs, manager="kube-controller-manager", applied=False))
    for i in range(6):
        pod_name = "%s-%05x" % (rs_name, 0x1a2b3 + i)
        spec = copy.deepcopy(template["spec"])
        spec["nodeName"] = "worker-%d" % (1 + i % 2)
        spec.setdefault("serviceAccountName", "default")
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": pod_name, "namespace": d["metadata"]["namespace"], "labels": labels,
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]},
               "spec": spec,
               "status": {"phase": "Running", "podIP": "10.244.1.%d" % (10 + i), "qosClass": "BestEffort",
                          "containerStatuses": [{"name": c["name"], "image": c["image"], "imageID": "docker.io/library/x@sha256:" + "ef" * 32,
                                                 "ready": True, "restartCount": i, "started": True,
                                                 "state": {"running": {"startedAt": "2026-01-12T09:10:00Z"}}} for c in spec["containers"]]}}
        objects.append(stamp(pod, manager="kube-controller-manager", applied=False))

PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----\n"
for ns in ["default", "kube-system", "shop"]:
    objects.append(stamp({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": ns},
                          "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIWb2rs1ZVfBAwDQYJKoZIhvcNAQELBQAwFTETMBEGA1UE\n-----END CERTIFICATE-----\n"}},
                         manager="kube-controller-manager", applied=False))
    objects.append(stamp({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}},
                         manager="kube-controller-manager", applied=False))
objects.append(stamp({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "storefront-config", "namespace": "shop"},
                      "data": {"nginx.conf": "worker_processes auto;\n" + "# tuning\n" * 400 + "events { worker_connections 1024; }\n",
                               "tls.key": PRIVATE_KEY},
                      "binaryData": {"favicon.ico": "AAABAAEAEBAAAAEAIABoBAAAFgAAACgAAAAQAAAAIAAAAAEAIAAAAAAAAAQAAA=="}}))
objects.append(stamp({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                      "metadata": {"name": "db-credentials", "namespace": "shop"},
                      "data": {"password": "UkVDT1JERUQtU0VDUkVULVZBTFVF"}}))  # RECORDED-SECRET-VALUE
objects.append(stamp({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                      "metadata": {"name": "api-token", "namespace": "shop", "annotations": {"kubernetes.io/service-account.name": "api"}},
                      "data": {"token": "UkVDT1JERUQtVE9LRU4tVkFMVUU="}}))  # RECORDED-TOKEN-VALUE
objects.append(stamp({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                      "metadata": {"name": "cluster-admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                                   "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
                      "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]},
                     manager="kube-apiserver", applied=False))
objects.append(stamp({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                      "metadata": {"name": "default-deny", "namespace": "default"},
                      "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}))
objects.append(stamp({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                      "metadata": {"name": "storefront", "namespace": "shop"},
                      "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "storefront"}}},
                      "status": {"currentHealthy": 2, "desiredHealthy": 1, "disruptionsAllowed": 1, "expectedPods": 2}}))

with open(os.path.join(HERE, "objects.json"), "w") as f:
    json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, f, indent=1, sort_keys=True)
    f.write("\n")

# Discovery.
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
def res(name, kind, namespaced, short=None, sub=()):
    out = [{"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind, "verbs": VERBS,
            **({"shortNames": short} if short else {}), "storageVersionHash": "x%sY=" % name[:6]}]
    for s in sub:
        out.append({"name": name + "/" + s, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": ["get", "patch", "update"]})
    return out

groups = {
    "v1": res("configmaps", "ConfigMap", True, ["cm"]) + res("namespaces", "Namespace", False, ["ns"], ["finalize", "status"])
        + res("nodes", "Node", False, ["no"], ["proxy", "status"]) + res("pods", "Pod", True, ["po"], ["attach", "exec", "log", "status"])
        + res("replicationcontrollers", "ReplicationController", True, ["rc"], ["scale", "status"]) + res("secrets", "Secret", True)
        + res("serviceaccounts", "ServiceAccount", True, ["sa"], ["token"]) + res("services", "Service", True, ["svc"], ["proxy", "status"]),
    "apps/v1": res("daemonsets", "DaemonSet", True, ["ds"], ["status"]) + res("deployments", "Deployment", True, ["deploy"], ["scale", "status"])
        + res("replicasets", "ReplicaSet", True, ["rs"], ["scale", "status"]) + res("statefulsets", "StatefulSet", True, ["sts"], ["scale", "status"]),
    "batch/v1": res("cronjobs", "CronJob", True, ["cj"], ["status"]) + res("jobs", "Job", True, None, ["status"]),
    "networking.k8s.io/v1": res("ingresses", "Ingress", True, ["ing"], ["status"]) + res("networkpolicies", "NetworkPolicy", True, ["netpol"]),
    "rbac.authorization.k8s.io/v1": res("clusterrolebindings", "ClusterRoleBinding", False) + res("clusterroles", "ClusterRole", False)
        + res("rolebindings", "RoleBinding", True) + res("roles", "Role", True),
    "policy/v1": res("poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"], ["status"]),
    "policy.networking.k8s.io/v1alpha1": res("adminnetworkpolicies", "AdminNetworkPolicy", False, ["anp"], ["status"])
        + res("baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", False, ["banp"], ["status"]),
}
def write(name, doc):
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
for gv, resources in groups.items():
    path = "api-v1" if gv == "v1" else "apis-" + gv.replace("/", "-")
    write(path, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
write("api", {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "172.18.0.2:6443"}]})
apis = []
for gv in groups:
    if gv == "v1":
        continue
    g, v = gv.split("/")
    apis.append({"name": g, "versions": [{"groupVersion": gv, "version": v}], "preferredVersion": {"groupVersion": gv, "version": v}})
apis.insert(1, {"name": "autoscaling", "versions": [{"groupVersion": "autoscaling/v2", "version": "v2"}, {"groupVersion": "autoscaling/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": "autoscaling/v2", "version": "v2"}})
write("apis", {"kind": "APIGroupList", "apiVersion": "v1", "groups": apis})
write("version", {"major": "1", "minor": "31", "gitVersion": "v1.31.2", "gitCommit": "5864a4677267e6adeae276ad85882a8714d69d9d",
                  "gitTreeState": "clean", "buildDate": "2024-10-22T20:28:14Z", "goVersion": "go1.22.8", "compiler": "gc", "platform": "linux/amd64"})
