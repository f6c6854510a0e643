"""Objects: CRUD, patches, lists with selectors and pages, subresources and conflicts, kind by kind."""

import datetime
import json

from kubernetes import client
from kubernetes.client.rest import ApiException

from harness import GROUP, NS, VERSION, api, check, config_map, deployment, expect_status, meta, probe, until


# ---- core/v1 ---------------------------------------------------------------------------------------------

@probe("core-namespace-read-list")
def _():
    ns = api.core.read_namespace(NS)
    check(ns.status.phase == "Active", f"namespace phase {ns.status.phase}")
    check(NS in [n.metadata.name for n in api.core.list_namespace().items], "namespace not listed")


@probe("core-configmap-crud")
def _():
    created = api.core.create_namespaced_config_map(NS, config_map("crud"))
    check(created.metadata.uid and created.metadata.resource_version, "no uid/resourceVersion on create")
    read = api.core.read_namespaced_config_map("crud", NS)
    read.data["k"] = "replaced"
    replaced = api.core.replace_namespaced_config_map("crud", NS, read)
    check(replaced.data["k"] == "replaced", "replace did not take")
    check(int(replaced.metadata.resource_version) > int(created.metadata.resource_version), "resourceVersion did not grow")
    api.core.delete_namespaced_config_map("crud", NS)
    expect_status(404, lambda: api.core.read_namespaced_config_map("crud", NS))


@probe("core-conflict-409")
def _():
    first = api.core.create_namespaced_config_map(NS, config_map("conflict"))
    body = expect_status(409, lambda: api.core.create_namespaced_config_map(NS, config_map("conflict")))
    check(body.get("reason") == "AlreadyExists", f"reason {body.get('reason')}")
    api.core.patch_namespaced_config_map("conflict", NS, {"data": {"k": "newer"}})
    stale = config_map("conflict", data={"k": "stale"})
    stale.metadata.resource_version = first.metadata.resource_version
    body = expect_status(409, lambda: api.core.replace_namespaced_config_map("conflict", NS, stale))
    check(body.get("reason") == "Conflict", f"reason {body.get('reason')}")


def merge_patch(path, body, response_type):
    """A JSON merge patch on a built-in kind: this client sends dict bodies as strategic merge patches."""
    return api.raw.call_api(path, "PATCH", header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
                        body=body, response_type=response_type, auth_settings=["BearerToken"], _return_http_data_only=True)


@probe("core-patch-strategic-merge-json-and-merge")
def _():
    api.core.create_namespaced_config_map(NS, config_map("patched", data={"a": "1", "b": "2"}))
    # A dict body goes out as a strategic merge patch for built-in kinds; null deletes a key.
    merged = api.core.patch_namespaced_config_map("patched", NS, {"data": {"a": None, "c": "3"}})
    check(merged.data == {"b": "2", "c": "3"}, f"strategic merge patch gave {merged.data}")
    # A list body goes out as a JSON patch.
    patched = api.core.patch_namespaced_config_map("patched", NS, [
        {"op": "test", "path": "/data/b", "value": "2"},
        {"op": "replace", "path": "/data/b", "value": "two"},
        {"op": "add", "path": "/metadata/labels", "value": {"patched": "yes"}},
    ])
    check(patched.data["b"] == "two" and patched.metadata.labels == {"patched": "yes"}, f"json patch gave {patched}")
    expect_status(422, lambda: api.core.patch_namespaced_config_map("patched", NS, [{"op": "test", "path": "/data/b", "value": "2"}]))
    replaced = merge_patch(f"/api/v1/namespaces/{NS}/configmaps/patched", {"data": {"c": None, "d": "4"}}, "V1ConfigMap")
    check(isinstance(replaced, client.V1ConfigMap) and replaced.data == {"b": "two", "d": "4"}, f"merge patch gave {replaced}")


@probe("core-list-pagination")
def _():
    for i in range(7):
        api.core.create_namespaced_config_map(NS, config_map(f"page-{i}", {"paged": "yes"}))
    names, token, pages = [], None, 0
    while True:
        page = api.core.list_namespaced_config_map(NS, label_selector="paged=yes", limit=3, _continue=token)
        pages += 1
        check(len(page.items) <= 3, f"page of {len(page.items)}")
        names += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
    check(pages == 3 and sorted(names) == [f"page-{i}" for i in range(7)], f"{pages} pages: {names}")


@probe("core-list-label-selectors")
def _():
    api.core.create_namespaced_config_map(NS, config_map("web-1", {"tier": "web", "zone": "a"}))
    api.core.create_namespaced_config_map(NS, config_map("db-1", {"tier": "db"}))

    def names(selector):
        return sorted(c.metadata.name for c in api.core.list_namespaced_config_map(NS, label_selector=selector).items)

    check(names("tier=web") == ["web-1"], names("tier=web"))
    check(names("tier in (web,db)") == ["db-1", "web-1"], names("tier in (web,db)"))
    check(names("tier,!zone") == ["db-1"], names("tier,!zone"))
    check(names("tier!=web,tier") == ["db-1"], names("tier!=web,tier"))


@probe("core-list-field-selectors")
def _():
    api.core.create_namespaced_config_map(NS, config_map("field-1"))
    found = api.core.list_namespaced_config_map(NS, field_selector="metadata.name=field-1").items
    check([c.metadata.name for c in found] == ["field-1"], f"found {[c.metadata.name for c in found]}")
    everywhere = api.core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={NS},metadata.name!=field-1").items
    check(everywhere and all(c.metadata.namespace == NS and c.metadata.name != "field-1" for c in everywhere), "namespace field selector")


@probe("core-events-v1")
def _():
    api.core.create_namespaced_event(NS, client.CoreV1Event(
        metadata=meta("probe.1"), involved_object=client.V1ObjectReference(kind="ConfigMap", name="field-1", namespace=NS),
        reason="Probed", message="core/v1 event", type="Normal"))
    found = api.core.list_namespaced_event(NS, field_selector="involvedObject.name=field-1,involvedObject.kind=ConfigMap").items
    check([e.reason for e in found] == ["Probed"], f"events {[e.reason for e in found]}")


# ---- apps/v1: status and scale subresources, strategic merge patch -----------------------------------------

@probe("apps-deployment-status-subresource")
def _():
    api.apps.create_namespaced_deployment(NS, deployment("podinfo", replicas=2))

    def available():
        d = api.apps.read_namespaced_deployment_status("podinfo", NS)
        return d if d.status and (d.status.available_replicas or 0) == 2 else None

    d = until("the Deployment to be available", available)
    check(any(c.type == "Available" and c.status == "True" for c in d.status.conditions), "no Available condition")


@probe("apps-deployment-strategic-merge-patch")
def _():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "podinfo", "image": "ghcr.io/stefanprodan/podinfo:6.0.1"}]}}}}
    # Built-in kinds get a strategic merge patch: the container list is merged by name, not replaced.
    d = api.apps.patch_namespaced_deployment("podinfo", NS, patch)
    containers = d.spec.template.spec.containers
    check(len(containers) == 1 and containers[0].image.endswith(":6.0.1"), f"containers {containers}")
    check(containers[0].ports and containers[0].ports[0].container_port == 9898, "the merge lost the container's ports")


@probe("apps-deployment-scale-subresource")
def _():
    scale = api.apps.read_namespaced_deployment_scale("podinfo", NS)
    check(scale.spec.replicas == 2, f"scale {scale.spec.replicas}")
    scaled = api.apps.patch_namespaced_deployment_scale("podinfo", NS, {"spec": {"replicas": 3}})
    check(scaled.spec.replicas == 3, f"scaled to {scaled.spec.replicas}")

    def replace():
        # The controller-manager writes the Deployment's status meanwhile: a Scale read just before may be stale.
        try:
            fresh = api.apps.read_namespaced_deployment_scale("podinfo", NS)
            fresh.spec.replicas = 1
            return api.apps.replace_namespaced_deployment_scale("podinfo", NS, fresh)
        except ApiException as e:
            if e.status != 409:
                raise
            return None

    until("a replace of the scale without a conflict", replace)
    check(api.apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 1, "replace of scale did not reach the Deployment")


@probe("core-pods-as-a-kubelet-reports-them")
def _():
    resources = client.V1ResourceRequirements(requests={"cpu": "100m", "memory": "64Mi"}, limits={"cpu": "100m", "memory": "64Mi"})
    api.apps.create_namespaced_deployment(NS, deployment("guaranteed", replicas=2, resources=resources))

    def ready_pods():
        pods = api.core.list_namespaced_pod(NS, label_selector="app=guaranteed").items  # typed: V1Pod, V1ContainerStatus
        return pods if len(pods) == 2 and all(p.status.container_statuses and p.status.container_statuses[0].ready for p in pods) else None

    pods = until("two ready pods", ready_pods)
    for p in pods:
        s = p.status
        cs = s.container_statuses[0]
        check(cs.image_id and "@sha256:" in cs.image_id, f"imageID {cs.image_id}")
        check(cs.container_id and cs.container_id.startswith("containerd://"), f"containerID {cs.container_id}")
        check(s.pod_ip and s.pod_i_ps and s.pod_i_ps[0].ip == s.pod_ip, f"podIPs {s.pod_i_ps}")  # this client's name for podIPs
        check(s.host_ip, "no hostIP")
        check(s.qos_class == "Guaranteed", f"qosClass {s.qos_class}")
        kinds = {c.type: c for c in s.conditions}
        check(set(kinds) >= {"PodScheduled", "Initialized", "ContainersReady", "Ready"}, f"conditions {sorted(kinds)}")
        check(all(c.status == "True" and c.last_transition_time for c in kinds.values()), f"conditions {s.conditions}")
    check(pods[0].status.container_statuses[0].image_id == pods[1].status.container_statuses[0].image_id, "imageID differs per pod")
    check(pods[0].status.container_statuses[0].container_id != pods[1].status.container_statuses[0].container_id, "containerID shared")
    # hostIPs is newer than this client's models: read it from the raw pod.
    raw_pod = api.core.read_namespaced_pod_status(pods[0].metadata.name, NS, _preload_content=False)
    status = json.loads(raw_pod.data)["status"]
    check(status.get("hostIPs") == [{"ip": status["hostIP"]}], f"hostIPs {status.get('hostIPs')}")
    besteffort = until("a best-effort pod", lambda: [p for p in api.core.list_namespaced_pod(NS, label_selector="app=podinfo").items if p.status.qos_class])
    check(besteffort[0].status.qos_class == "BestEffort", f"qosClass {besteffort[0].status.qos_class}")


@probe("core-pod-restart-on-image-change")
def _():
    api.core.create_namespaced_pod(NS, client.V1Pod(metadata=meta("tester"), spec=client.V1PodSpec(
        containers=[client.V1Container(name="tester", image="curlimages/curl:8.5.0", command=["sleep", "infinity"])])))

    def ready(restarts):
        def check_pod():
            p = api.core.read_namespaced_pod("tester", NS)
            statuses = p.status.container_statuses or []
            return p if statuses and statuses[0].ready and statuses[0].restart_count == restarts else None
        return check_pod

    before = until("the pod to start", ready(0))
    api.core.patch_namespaced_pod("tester", NS, {"spec": {"containers": [{"name": "tester", "image": "curlimages/curl:8.6.0"}]}})
    after = until("the restarted container to be ready", ready(1))
    old, new = before.status.container_statuses[0], after.status.container_statuses[0]
    check(new.container_id != old.container_id and new.last_state.terminated.container_id == old.container_id, f"{new}")
    ready_before = next(c for c in before.status.conditions if c.type == "Ready").last_transition_time
    ready_after = next(c for c in after.status.conditions if c.type == "Ready").last_transition_time
    check(ready_after > ready_before, f"Ready transition {ready_before} -> {ready_after}")
    api.core.delete_collection_namespaced_pod(NS, field_selector="metadata.name=tester")
    expect_status(404, lambda: api.core.read_namespaced_pod("tester", NS))


@probe("typed-lists-of-what-the-simulation-writes")
def _():
    """Every kind the simulated kubelet and controller-manager write a status for reads into this client's models."""
    daemonset = client.V1DaemonSet(
        metadata=meta("agent", {"app": "agent"}),
        spec=client.V1DaemonSetSpec(
            selector=client.V1LabelSelector(match_labels={"app": "agent"}),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"app": "agent"}),
                                              spec=client.V1PodSpec(containers=[client.V1Container(name="agent", image="ghcr.io/stefanprodan/podinfo:6.0.0")]))))
    api.apps.create_namespaced_daemon_set(NS, daemonset)
    hpa = client.V2beta2HorizontalPodAutoscaler(
        metadata=meta("podinfo"),
        spec=client.V2beta2HorizontalPodAutoscalerSpec(
            scale_target_ref=client.V2beta2CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="podinfo"),
            min_replicas=1, max_replicas=4))
    client.AutoscalingV2beta2Api().create_namespaced_horizontal_pod_autoscaler(NS, hpa)
    until("the DaemonSet's status", lambda: api.apps.read_namespaced_daemon_set_status("agent", NS).status.number_ready == 1)
    until("the autoscaler's status", lambda: client.AutoscalingV2beta2Api().read_namespaced_horizontal_pod_autoscaler_status("podinfo", NS).status)
    listed = {
        "nodes": api.core.list_node().items,
        "pods": api.core.list_pod_for_all_namespaces().items,
        "services": api.core.list_service_for_all_namespaces().items,
        "namespaces": api.core.list_namespace().items,
        "deployments": api.apps.list_deployment_for_all_namespaces().items,
        "daemonsets": api.apps.list_daemon_set_for_all_namespaces().items,
        "hpas (autoscaling/v1)": client.AutoscalingV1Api().list_horizontal_pod_autoscaler_for_all_namespaces().items,
        "hpas (autoscaling/v2beta2)": client.AutoscalingV2beta2Api().list_horizontal_pod_autoscaler_for_all_namespaces().items,
        "leases": api.coordination.list_lease_for_all_namespaces().items,
    }
    check(all(listed[k] for k in ("nodes", "pods", "namespaces", "deployments", "daemonsets", "hpas (autoscaling/v1)")), {k: len(v) for k, v in listed.items()})
    check(listed["nodes"][0].status.node_info.kubelet_version, "no kubeletVersion")


# ---- coordination.k8s.io and events.k8s.io ------------------------------------------------------------

@probe("coordination-lease-crud")
def _():
    lease = client.V1Lease(metadata=meta("leader"), spec=client.V1LeaseSpec(holder_identity="a", lease_duration_seconds=15))
    created = api.coordination.create_namespaced_lease(NS, lease)
    created.spec.holder_identity = "b"
    renewed = api.coordination.replace_namespaced_lease("leader", NS, created)
    check(renewed.spec.holder_identity == "b", "holder not replaced")
    created.spec.holder_identity = "c"  # still carries the old resourceVersion
    expect_status(409, lambda: api.coordination.replace_namespaced_lease("leader", NS, created))
    api.coordination.delete_namespaced_lease("leader", NS)
    check(not api.coordination.list_namespaced_lease(NS).items, "lease still listed")


@probe("events-k8s-io-event-crud")
def _():
    event = client.EventsV1Event(
        metadata=meta("probe.2"), event_time=datetime.datetime.now(datetime.timezone.utc),
        reporting_controller="python-conformance", reporting_instance="probe", action="Probe", reason="Probed",
        regarding=client.V1ObjectReference(kind="ConfigMap", name="field-1", namespace=NS), note="events.k8s.io", type="Normal")
    api.events.create_namespaced_event(NS, event)
    read = api.events.read_namespaced_event("probe.2", NS)
    check(read.note == "events.k8s.io" and read.regarding.name == "field-1", f"read {read}")
    patched = api.events.patch_namespaced_event("probe.2", NS, {"note": "patched"})
    check(patched.note == "patched", "patch did not take")
    # Selected by name: a core/v1 Event carries no eventTime, which this client's EventsV1Event refuses to read.
    check([e.metadata.name for e in api.events.list_namespaced_event(NS, field_selector="metadata.name=probe.2").items] == ["probe.2"], "not listed")
    api.events.delete_namespaced_event("probe.2", NS)


# ---- flagger.app custom resources ----------------------------------------------------------------------

def canary(name, labels=None):
    return {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "Canary",
        "metadata": {"name": name, "namespace": NS, "labels": labels or {}},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10},
        },
    }


@probe("flagger-canary-crud-and-status")
def _():
    api.custom.create_namespaced_custom_object(GROUP, VERSION, NS, "canaries", canary("podinfo", {"team": "a"}))
    api.custom.create_namespaced_custom_object(GROUP, VERSION, NS, "canaries", canary("other", {"team": "b"}))
    got = api.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo")
    check(got["spec"]["analysis"]["stepWeight"] == 10, f"spec {got['spec']}")
    patched = api.custom.patch_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo", {"spec": {"analysis": {"stepWeight": 20}}})
    check(patched["spec"]["analysis"] == {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 20}, f"merge patch {patched['spec']}")
    status = {"status": {"phase": "Succeeded", "conditions": [{"type": "Promoted", "status": "True", "reason": "Succeeded",
                                                              "message": "done", "lastUpdateTime": "2026-01-01T00:00:00Z",
                                                              "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    api.custom.patch_namespaced_custom_object_status(GROUP, VERSION, NS, "canaries", "podinfo", status)
    read = api.custom.get_namespaced_custom_object_status(GROUP, VERSION, NS, "canaries", "podinfo")
    check(read["status"]["phase"] == "Succeeded", f"status {read.get('status')}")
    # The status subresource ignores spec, and the main resource ignores status.
    api.custom.patch_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo", {"status": {"phase": "Failed"}})
    check(api.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo")["status"]["phase"] == "Succeeded", "status changed through the main resource")
    selected = api.custom.list_namespaced_custom_object(GROUP, VERSION, NS, "canaries", label_selector="team=b")
    check([c["metadata"]["name"] for c in selected["items"]] == ["other"], f"selected {selected['items']}")
    stale = dict(got)
    body = expect_status(409, lambda: api.custom.replace_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo", stale))
    check(body.get("reason") == "Conflict", f"reason {body.get('reason')}")
    api.custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "other")
    expect_status(404, lambda: api.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "other"))


@probe("flagger-metrictemplate-and-alertprovider-crud")
def _():
    template = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "MetricTemplate", "metadata": {"name": "latency", "namespace": NS},
                "spec": {"provider": {"type": "prometheus", "address": "http://prometheus.istio-system:9090"},
                         "query": "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket[{{ interval }}])) by (le))"}}
    provider = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "AlertProvider", "metadata": {"name": "on-call", "namespace": NS},
                "spec": {"type": "slack", "channel": "on-call", "username": "flagger"}}
    api.custom.create_namespaced_custom_object(GROUP, VERSION, NS, "metrictemplates", template)
    api.custom.create_namespaced_custom_object(GROUP, VERSION, NS, "alertproviders", provider)
    api.custom.patch_namespaced_custom_object(GROUP, VERSION, NS, "alertproviders", "on-call", {"spec": {"channel": "rollouts"}})
    check(api.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "alertproviders", "on-call")["spec"]["channel"] == "rollouts", "patch")
    listed = api.custom.list_cluster_custom_object(GROUP, VERSION, "metrictemplates")
    check("latency" in [t["metadata"]["name"] for t in listed["items"]], "template not listed cluster-wide")
    api.custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "metrictemplates", "latency")
    api.custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "alertproviders", "on-call")
    check(not api.custom.list_namespaced_custom_object(GROUP, VERSION, NS, "metrictemplates")["items"], "template still listed")
