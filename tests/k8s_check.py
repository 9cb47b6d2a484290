"""Offline check of the Kubernetes manifests of deploy/k8s (tests/t_k8s_manifests.sh).

No cluster is needed. Every object is checked against the API schema that Debian's
python3-kubernetes carries (its generated model classes: each field's JSON name and
type, and the fields a model requires): an unknown or misspelt field, a value of the
wrong type or a missing required field is an error at its path. Then the references
between objects: volumes name Secrets and ConfigMaps that exist and keys they hold,
mounts name volumes, selectors match their pod templates, Services select pods and
name ports that exist, a StatefulSet's serviceName is a Service, the kustomization
lists every manifest.

With --materialize ROOT --port N it also writes, for each container, the files its
volumes would hold under ROOT/<container>/<mountPath>, and prints its argv (one
container a line, tab-separated) with those paths, Service names and the pod name
filled in, so that the test can run the manifests' own command lines on this machine.

Usage: k8s_check.py DIR [EXTRA.yaml ...] [--materialize ROOT --port N]
"""
import base64
import os
import sys

import yaml

try:
    from kubernetes import client
except ImportError:  # the test says so and checks only what it can
    client = None

errors = []


def err(path, msg):
    errors.append(f"{path}: {msg}")


def model(name):
    return getattr(client.models, name, None) if client else None


def check_type(value, t, path):
    """value against the python-kubernetes type string t."""
    if t.startswith("list["):
        if not isinstance(value, list):
            return err(path, f"expected a list ({t})")
        for i, v in enumerate(value):
            check_type(v, t[5:-1], f"{path}[{i}]")
    elif t.startswith("dict("):
        if not isinstance(value, dict):
            return err(path, f"expected a map ({t})")
        inner = t[5:-1].split(", ", 1)[1]
        for k, v in value.items():
            check_type(v, inner, f"{path}.{k}")
    elif t == "str":
        if not isinstance(value, str):
            err(path, f"expected a string, got {type(value).__name__} {value!r}")
    elif t == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            err(path, f"expected an integer, got {value!r}")
    elif t == "bool":
        if not isinstance(value, bool):
            err(path, f"expected true or false, got {value!r}")
    elif t in ("object", "float", "datetime", "date"):
        pass  # int-or-string, quantities and free-form fields
    elif model(t):
        check_object(value, t, path)
    else:
        err(path, f"no schema for type {t}")


def check_object(obj, cls_name, path):
    cls = model(cls_name)
    if not isinstance(obj, dict):
        return err(path, f"expected a map ({cls_name})")
    by_json = {j: p for p, j in cls.attribute_map.items()}
    for key, value in obj.items():
        if key not in by_json:
            close = [j for j in by_json if j.lower() == key.lower()]
            hint = f" (did you mean {close[0]}?)" if close else ""
            err(f"{path}.{key}", f"unknown field of {cls_name}{hint}")
        elif value is not None:
            check_type(value, cls.openapi_types[by_json[key]], f"{path}.{key}")


def check_required(obj, cls_name, path):
    """The model constructors refuse a missing required field: build the object."""
    try:
        client.ApiClient()._ApiClient__deserialize(obj, cls_name)
    except (ValueError, TypeError) as e:
        err(path, f"{cls_name}: {e}")


def pod_spec(obj):
    spec = obj.get("spec") or {}
    if obj["kind"] in ("Deployment", "StatefulSet", "Job"):
        return (spec.get("template") or {}).get("spec") or {}, spec
    return None, spec


def check_refs(objs, where):
    secrets = {o["metadata"]["name"]: set((o.get("data") or {}) | (o.get("stringData") or {}))
               for o in objs if o["kind"] == "Secret"}
    cmaps = {o["metadata"]["name"]: set(o.get("data") or {}) | set(o.get("binaryData") or {})
             for o in objs if o["kind"] == "ConfigMap"}
    services = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Service"}
    templates = []
    for o in objs:
        pod, spec = pod_spec(o)
        if pod is None:
            continue
        p = f"{where[id(o)]}: {o['kind']}/{o['metadata']['name']}"
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        templates.append((labels, pod, p))
        want = (spec.get("selector") or {}).get("matchLabels") or {}
        if o["kind"] != "Job" and (not want or any(labels.get(k) != v for k, v in want.items())):
            err(p, f"selector {want} does not match the template's labels {labels}")
        if o["kind"] == "StatefulSet" and spec.get("serviceName") not in services:
            err(p, f"serviceName {spec.get('serviceName')} is no Service here")
        claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates") or []}
        vols = {v["name"]: v for v in pod.get("volumes") or []}
        for name, v in vols.items():
            if "secret" in v and v["secret"].get("secretName") not in secrets:
                err(p, f"volume {name}: no Secret {v['secret'].get('secretName')}")
            if "configMap" in v and v["configMap"].get("name") not in cmaps:
                err(p, f"volume {name}: no ConfigMap {v['configMap'].get('name')}")
        for c in pod.get("containers") or []:
            ports = {q.get("name") for q in c.get("ports") or []}
            for m in c.get("volumeMounts") or []:
                if m["name"] not in vols and m["name"] not in claims:
                    err(p, f"container {c['name']}: mount of an unknown volume {m['name']}")
            probe = ((c.get("readinessProbe") or {}).get("tcpSocket") or {}).get("port")
            if isinstance(probe, str) and probe not in ports:
                err(p, f"container {c['name']}: probe port {probe} is not a named port")
    for name, s in services.items():
        sel = (s.get("spec") or {}).get("selector") or {}
        hits = [t for t in templates if all(t[0].get(k) == v for k, v in sel.items())]
        if not sel or not hits:
            err(f"Service/{name}", f"selector {sel} selects no pod template here")
        for port in (s.get("spec") or {}).get("ports") or []:
            tp = port.get("targetPort")
            named = {q.get("name") for t in hits for c in t[1].get("containers") or []
                     for q in c.get("ports") or []}
            if isinstance(tp, str) and tp not in named:
                err(f"Service/{name}", f"targetPort {tp} is no named port of its pods")
    return secrets, cmaps


def materialize(objs, root, port):
    """Each container's volumes as files under root/<container>; print its argv."""
    data = {}
    for o in objs:
        if o["kind"] == "Secret":
            data[("secret", o["metadata"]["name"])] = {
                k: base64.b64decode(v) for k, v in (o.get("data") or {}).items()}
        elif o["kind"] == "ConfigMap":
            data[("configMap", o["metadata"]["name"])] = {
                k: v.encode() for k, v in (o.get("data") or {}).items()}
    services = {o["metadata"]["name"] for o in objs if o["kind"] == "Service"}
    for o in objs:
        pod, spec = pod_spec(o)
        if pod is None:
            continue
        vols = {v["name"]: v for v in pod.get("volumes") or []}
        for c in pod["containers"]:
            base = os.path.join(root, c["name"])
            args = list(c.get("command") or []) + list(c.get("args") or [])
            mounts = sorted(c.get("volumeMounts") or [], key=lambda m: -len(m["mountPath"]))
            for m in mounts:
                d = base + m["mountPath"]
                os.makedirs(d, exist_ok=True)
                v = vols.get(m["name"], {})
                for kind, key in (("secret", "secretName"), ("configMap", "name")):
                    if kind in v:
                        for f, b in data[(kind, v[kind][key])].items():
                            with open(os.path.join(d, f), "wb") as fh:
                                fh.write(b)
            out = []
            for a in args:
                a = a.replace("$(POD_NAME)", f"{o['metadata']['name']}-0")
                for s in services:
                    a = a.replace(f"tcp://{s}:5555", f"tcp://127.0.0.1:{port}")
                a = a.replace("tcp://0.0.0.0:5555", f"tcp://127.0.0.1:{port}")
                for m in mounts:
                    if a == m["mountPath"] or a.startswith(m["mountPath"] + "/"):
                        a = base + a
                        break
                out.append(a)
            print("\t".join([c["name"]] + out))


def main(argv):
    root = port = None
    if "--materialize" in argv:
        i = argv.index("--materialize")
        root, port = argv[i + 1], int(argv[argv.index("--port") + 1])
        argv = argv[:i]
    d, extra = argv[1], argv[2:]
    kust = yaml.safe_load(open(os.path.join(d, "kustomization.yaml")))
    listed = kust.get("resources") or []
    files = sorted(f for f in os.listdir(d) if f.endswith(".yaml") and f != "kustomization.yaml")
    for f in files:
        if f not in listed:
            err(f"{d}/kustomization.yaml", f"{f} is not in resources")
    objs, where = [], {}
    for path in [os.path.join(d, f) for f in files] + extra:
        for doc in yaml.safe_load_all(open(path)):
            if doc is None:
                continue
            where[id(doc)] = path
            objs.append(doc)
            kind, api = doc.get("kind"), doc.get("apiVersion", "")
            p = f"{path}: {kind}/{(doc.get('metadata') or {}).get('name')}"
            if not kind or not api or not (doc.get("metadata") or {}).get("name"):
                err(p, "apiVersion, kind and metadata.name are required")
                continue
            cls = "V1" + kind if api.split("/")[-1] == "v1" else None
            if client and not model(cls):
                err(p, f"no schema for {api} {kind}")
            elif client:
                check_object(doc, cls, p)
                check_required(doc, cls, p)
    for f in listed:
        if not os.path.exists(os.path.join(d, f)) and f not in map(os.path.basename, extra):
            err(f"{d}/kustomization.yaml", f"resource {f} does not exist")
    check_refs(objs, where)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    if root:
        materialize(objs, root, port)
    else:
        print(f"{len(objs)} objects checked" + ("" if client else " (no schema: "
              "python3-kubernetes is not installed)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
