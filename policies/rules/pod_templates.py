"""Where each workload kind keeps the pods it runs, and the labels its controller adds to them.

A workload's pods are its template's labels plus what its controller stamps on every pod it
creates. Some of those values are known from the object (a Job's `job-name` is its name); many
are not (a Deployment's `pod-template-hash`, a StatefulSet pod's ordinal): those keys are
*unknown values*, present on the pod with a value the pack cannot know. An operator whose label
set the pack does not know exactly makes the pod *open*: any key a selector mentions may be on it.

Kubernetes controllers (kubernetes/kubernetes, pkg/controller and the batch Job strategy):
- Deployment: `pod-template-hash` (on the ReplicaSet's template, so on every pod);
- StatefulSet: `controller-revision-hash`, `statefulset.kubernetes.io/pod-name`,
  `apps.kubernetes.io/pod-index` (1.28+);
- DaemonSet: `controller-revision-hash`, `pod-template-generation`;
- Job (and a CronJob's Jobs): `batch.kubernetes.io/controller-uid`, `controller-uid`,
  `batch.kubernetes.io/job-name`, `job-name` (a CronJob's Job names are unknown), and for Indexed
  Jobs `batch.kubernetes.io/job-completion-index`;
- Pod, ReplicaSet, ReplicationController: nothing.
Custom resources with pod templates, by API group and kind: Argo Rollouts and Workflows, KServe
InferenceService, Kubeflow training jobs, KubeRay clusters, jobs and services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional

from .objects import KubeObject

ALWAYS = "always"   # the key is on every pod, its value unknown
MAYBE = "maybe"     # the key may be on the pod, with any value


@dataclass(frozen=True)
class PodShape:
    """The pods one template of a workload runs."""

    field: str                              # where the template is: spec.template, or "" for a Pod
    labels: Mapping[str, str]               # labels every pod carries, values known
    unknown: Mapping[str, str] = field(default_factory=dict)  # key -> ALWAYS | MAYBE, value unknown
    open: bool = False                      # an operator may add keys the pack does not know
    spec: Any = None                        # the pod spec mapping (containers, initContainers, ...)
    unseen: Optional[str] = None            # why some of its pods cannot be modelled, if so
    ports_unknown: bool = False             # containers the pack does not see may declare named ports
    template_path: Optional[tuple] = None   # the path of a PodTemplateSpec, when the shape is one
    annotations: Mapping[str, Any] = field(default_factory=dict)  # the pods' annotations (the mesh reads some)


_CORE_TEMPLATES = {
    "Pod": (), "Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"), "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"), "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
_JOB_UNKNOWN = {"batch.kubernetes.io/controller-uid": ALWAYS, "controller-uid": ALWAYS}
_CONTROLLER_UNKNOWN: dict[str, dict[str, str]] = {
    "Deployment": {"pod-template-hash": ALWAYS},
    "StatefulSet": {"controller-revision-hash": ALWAYS, "statefulset.kubernetes.io/pod-name": ALWAYS,
                    "apps.kubernetes.io/pod-index": ALWAYS},
    # pod-template-generation is set while the deprecated generation annotation is (it always is
    # on today's API servers); MAYBE covers both.
    "DaemonSet": {"controller-revision-hash": ALWAYS, "pod-template-generation": MAYBE},
    "Job": dict(_JOB_UNKNOWN),
    "CronJob": {**_JOB_UNKNOWN, "batch.kubernetes.io/job-name": ALWAYS, "job-name": ALWAYS},
}
_TRAINING_REPLICA_SPECS = {
    "PyTorchJob": "pytorchReplicaSpecs", "TFJob": "tfReplicaSpecs", "MPIJob": "mpiReplicaSpecs",
    "XGBoostJob": "xgbReplicaSpecs", "PaddleJob": "paddleReplicaSpecs", "JAXJob": "jaxReplicaSpecs",
}
_RAY_CLUSTER_SPEC = {"RayCluster": ("spec",), "RayJob": ("spec", "rayClusterSpec"),
                     "RayService": ("spec", "rayClusterConfig")}
_KSERVE_COMPONENTS = ("predictor", "transformer", "explainer")
_ARGO_POD_TEMPLATES = ("container", "script", "containerSet")


def runs_pods(obj: KubeObject) -> bool:
    """A kind whose pods the pack models."""
    if obj.group in ("", "apps", "batch") and obj.kind in _CORE_TEMPLATES:
        return True
    return (obj.group, obj.kind) in _CUSTOM


def core_template_path(obj: KubeObject) -> Optional[tuple[str, ...]]:
    return _CORE_TEMPLATES.get(obj.kind) if obj.group in ("", "apps", "batch") else None


def shapes(obj: KubeObject) -> Iterator[PodShape]:
    """Every pod template of a workload, with the labels its controller adds."""
    path = core_template_path(obj)
    if path is not None:
        yield _core(obj, path)
    else:
        yield from _CUSTOM[(obj.group, obj.kind)](obj)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _template(obj: KubeObject, path: tuple, known: Mapping[str, str], unknown: Mapping[str, str],
              *, open_: bool = False, extra: Optional[Mapping[str, Any]] = None) -> PodShape:
    """``extra``: metadata (labels, annotations) a controller writes over the template's."""
    template = obj.get(*path) if path else obj.props.value
    template = _dict(template)
    metadata = _dict(template.get("metadata"))
    labels = {**_dict(metadata.get("labels")), **_dict(_dict(extra).get("labels"))}
    labels = {k: v for k, v in labels.items() if k not in unknown}
    labels.update(known)
    annotations = {**_dict(metadata.get("annotations")), **_dict(_dict(extra).get("annotations"))}
    return PodShape(field_path(path), labels, dict(unknown), open_, template.get("spec"), template_path=path,
                    annotations=annotations)


def field_path(path: tuple) -> str:
    """`("spec", "workerGroupSpecs", 0, "template")` -> `spec.workerGroupSpecs[0].template`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _core(obj: KubeObject, path: tuple) -> PodShape:
    unknown = dict(_CONTROLLER_UNKNOWN.get(obj.kind, {}))
    known: dict[str, str] = {}
    if obj.kind == "Job":
        if isinstance(obj.get("metadata", "name"), str):
            known = {"batch.kubernetes.io/job-name": str(obj.name), "job-name": str(obj.name)}
        else:  # named by Pulumi at creation (the logical name plus a random suffix): unknown
            unknown.update({"batch.kubernetes.io/job-name": ALWAYS, "job-name": ALWAYS})
    if obj.kind in ("Job", "CronJob"):
        job_spec = obj.get("spec") if obj.kind == "Job" else obj.get("spec", "jobTemplate", "spec")
        if _dict(job_spec).get("completionMode") == "Indexed":
            unknown["batch.kubernetes.io/job-completion-index"] = ALWAYS
    return _template(obj, path, known, unknown)


def _rollout(obj: KubeObject) -> Iterator[PodShape]:
    if obj.get("spec", "template") is None and obj.get("spec", "workloadRef") is not None:
        yield PodShape("spec.workloadRef", {}, unseen="spec.workloadRef runs the pods of another workload, "
                       "which the pack does not follow")
        return
    unknown = {"rollouts-pod-template-hash": ALWAYS}
    strategy = _dict(obj.get("spec", "strategy"))
    yield _template(obj, ("spec", "template"), {}, unknown)
    # The controller writes the canary, stable, active or preview metadata's labels and annotations
    # (known values, over the template's) onto those pods: each is a pod shape of its own.
    for part, keys in (("canary", ("canaryMetadata", "stableMetadata")),
                       ("blueGreen", ("activeMetadata", "previewMetadata"))):
        for key in keys:
            metadata = _dict(_dict(strategy.get(part)).get(key))
            if _dict(metadata.get("labels")) or _dict(metadata.get("annotations")):
                yield _template(obj, ("spec", "template"), {}, unknown, extra=metadata)


def _workflow(obj: KubeObject) -> Iterator[PodShape]:
    spec_path = ("spec",) if obj.kind == "Workflow" else ("spec", "workflowSpec")
    spec = _dict(obj.get(*spec_path))
    where = ".".join(spec_path)
    if spec.get("workflowTemplateRef") is not None or _mentions(spec, "templateRef"):
        yield PodShape(where, {}, unseen=f"{where} refers to WorkflowTemplates, whose pods the pack does not see")
        return
    if _mentions(spec, "podSpecPatch"):
        yield PodShape(where, {}, unseen=f"{where}: a podSpecPatch may add containers and ports the pack does not see")
        return
    pod_labels = _dict(_dict(spec.get("podMetadata")).get("labels"))
    pod_annotations = _dict(_dict(spec.get("podMetadata")).get("annotations"))
    unknown = {"workflows.argoproj.io/workflow": ALWAYS, "workflows.argoproj.io/completed": ALWAYS}
    templates = spec.get("templates")
    for index, template in enumerate(templates if isinstance(templates, list) else []):
        template = _dict(template)
        at = f"{where}.templates[{index}]"
        if template.get("resource") is not None:
            yield PodShape(at, {}, unseen=f"{at}.resource creates objects the pack does not see")
            continue
        kinds = [k for k in _ARGO_POD_TEMPLATES if template.get(k) is not None]
        if not kinds:
            continue  # steps, dag, suspend: no pod of their own
        labels = {**pod_labels, **_dict(_dict(template.get("metadata")).get("labels"))}
        containers = ([template[k] for k in kinds if k != "containerSet"]
                      + list(_dict(template.get("containerSet")).get("containers") or []))
        annotations = {**pod_annotations, **_dict(_dict(template.get("metadata")).get("annotations"))}
        yield PodShape(at, {k: v for k, v in labels.items() if k not in unknown}, dict(unknown),
                       spec={"containers": containers, "initContainers": template.get("initContainers")},
                       annotations=annotations)


def _kserve(obj: KubeObject) -> Iterator[PodShape]:
    owner_labels = _dict(obj.get("metadata", "labels"))
    for component in _KSERVE_COMPONENTS:
        spec = obj.get("spec", component)
        if not isinstance(spec, dict):
            continue
        labels = {**owner_labels, **_dict(spec.get("labels")),
                  "serving.kserve.io/inferenceservice": str(obj.name), "component": component}
        # Knative or raw-deployment mode add revision and hash labels the pack cannot list.
        # `model` runs the containers of a ServingRuntime, which the stack may not hold.
        annotations = {**_dict(obj.get("metadata", "annotations")), **_dict(spec.get("annotations"))}
        yield PodShape(f"spec.{component}", labels, open=True, spec=spec,
                       ports_unknown=spec.get("model") is not None, annotations=annotations)


def _training(obj: KubeObject) -> Iterator[PodShape]:
    key = _TRAINING_REPLICA_SPECS[obj.kind]
    replicas = _dict(obj.get("spec", key))
    for replica_type in sorted(replicas):
        known = {"training.kubeflow.org/job-name": str(obj.name),
                 "training.kubeflow.org/replica-type": str(replica_type).lower()}
        unknown = {"training.kubeflow.org/replica-index": ALWAYS, "training.kubeflow.org/operator-name": MAYBE,
                   "training.kubeflow.org/job-role": MAYBE}
        yield _template(obj, ("spec", key, replica_type, "template"), known, unknown)


def _ray(obj: KubeObject) -> Iterator[PodShape]:
    base = _RAY_CLUSTER_SPEC[obj.kind]
    unknown = {"ray.io/cluster": ALWAYS, "ray.io/identifier": MAYBE, "ray.io/node-type": MAYBE,
               "ray.io/group": MAYBE, "ray.io/is-ray-node": MAYBE}
    yield _template(obj, (*base, "headGroupSpec", "template"), {}, unknown)
    groups = obj.get(*base, "workerGroupSpecs")
    for index, _ in enumerate(groups if isinstance(groups, list) else []):
        yield _template(obj, (*base, "workerGroupSpecs", index, "template"), {}, unknown)
    if obj.kind == "RayJob":
        if obj.get("spec", "submitterPodTemplate") is not None:
            yield _template(obj, ("spec", "submitterPodTemplate"), {}, {**unknown, **_JOB_UNKNOWN,
                            "batch.kubernetes.io/job-name": ALWAYS, "job-name": ALWAYS}, open_=True)
        elif obj.get("spec", "submissionMode") in (None, "K8sJobMode"):
            yield PodShape("spec.submitterPodTemplate", {}, unseen="the default submitter Job's pod is "
                           "made by KubeRay; give spec.submitterPodTemplate so that the pack can see it")


def _mentions(node: Any, key: str) -> bool:
    if isinstance(node, dict):
        return key in node or any(_mentions(v, key) for v in node.values())
    if isinstance(node, list):
        return any(_mentions(v, key) for v in node)
    return False


_CUSTOM = {
    ("argoproj.io", "Rollout"): _rollout,
    ("argoproj.io", "Workflow"): _workflow,
    ("argoproj.io", "CronWorkflow"): _workflow,
    ("serving.kserve.io", "InferenceService"): _kserve,
    **{("kubeflow.org", kind): _training for kind in _TRAINING_REPLICA_SPECS},
    **{("ray.io", kind): _ray for kind in _RAY_CLUSTER_SPEC},
}


def controller_label_keys() -> list[tuple[str, ...]]:
    """The label keys each built-in controller puts on its pods (a bare pod has none)."""
    keys = [(), *(tuple(sorted(unknown)) for unknown in _CONTROLLER_UNKNOWN.values())]
    keys.append(tuple(sorted({*_CONTROLLER_UNKNOWN["Job"], "batch.kubernetes.io/job-name", "job-name"})))
    return keys
