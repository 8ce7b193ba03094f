"""The engine's view of a workload: Pod manifests, one per witness, named so that none collide.

The engine sees only Pods. A workload's first witness is `namespace/name`; other witnesses and
objects of another kind with the same name get a suffix no Kubernetes name can have.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from netguard.mesh.annotations import MESH_ANNOTATIONS

from . import pod_templates
from .objects import KubeObject
from .unknowns import Vocabulary, witnesses


def witness_pods(obj: KubeObject, vocabulary: Vocabulary,
                 taken: set) -> tuple[list[tuple[str, str, dict]], Optional[str]]:
    """(field, endpoint id, Pod manifest) per witness; or why there are too many to check."""
    pods = []
    namespace = str(obj.namespace)
    for shape in pod_templates.shapes(obj):
        label_sets = witnesses(shape, vocabulary)
        if label_sets is None:
            return [], (f"{shape.field or 'its pod'}: its pods carry labels whose values the pack cannot "
                        "know, and the stack's selectors tell apart too many of them to check each")
        for labels in label_sets:
            name = unique_name(obj, namespace, taken)
            pods.append((shape.field, f"{namespace}/{name}", pod_manifest(namespace, name, labels, shape.spec,
                                                                         shape.annotations)))
    return pods, None


def unique_name(obj: KubeObject, namespace: str, taken: set[str]) -> str:
    candidates = [str(obj.name), f"{obj.name} ({obj.kind})"]
    n = 1
    while True:
        for name in candidates:
            if (namespace, name) not in taken:
                taken.add((namespace, name))
                return name
        n += 1
        candidates = [f"{obj.name} ({obj.kind} pod {n})"]


def pod_manifest(namespace: str, name: str, labels: Mapping[str, str], spec: Any,
                 annotations: Optional[Mapping[str, Any]] = None) -> dict:
    """A Pod manifest for the engine: the labels, the mesh's annotations, and the ports of its serving containers.

    Native sidecars (initContainers with restartPolicy Always) run beside the containers for the
    pod's whole life, so their ports are the pod's ports: a named port may resolve to them. CNIs
    differ on this; counting them admits more, never less, which is the sound side.
    """
    containers: list = []
    if isinstance(spec, Mapping):
        if spec.get("containers") is not None:
            containers.append(spec.get("containers"))
        inits = spec.get("initContainers")
        if isinstance(inits, list):
            containers.append([c for c in inits if isinstance(c, Mapping) and c.get("restartPolicy") == "Always"])
    flat = []
    for group in containers:
        if not isinstance(group, list):
            flat.append(group)  # let the engine name the field that is not a list
            continue
        flat.extend(group)
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") if isinstance(spec, Mapping) else None
    identity = {"serviceAccountName": account} if isinstance(account, str) else {}  # the mesh's principal
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels),
                         "annotations": {k: v for k, v in (annotations or {}).items() if k in MESH_ANNOTATIONS}},
            "spec": {**identity, "containers": [{"name": f"c{i}", "ports": c.get("ports") if isinstance(c, Mapping) else c}
                                                if isinstance(c, Mapping) else c for i, c in enumerate(flat)]}
            if spec is not None else None}
