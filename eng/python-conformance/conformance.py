"""Probes the embedded API server with the Kubernetes Python client, as a platform team's script would.

Run by eng/python-conformance/run, which serves the cluster; usage: conformance.py KUBECONFIG.
Every probe goes through the client's typed models (V1Pod, V1Deployment, ...), so a field the models require
and the server leaves out fails the probe. Prints one PASS or FAIL line per probe; exits 1 if any failed.
"""

import datetime
import json
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NS = "pyconf"
GROUP, VERSION = "flagger.app", "v1beta1"
RESULTS = []


def probe(name):
    def wrap(fn):
        def run():
            start = time.monotonic()
            try:
                fn()
            except Exception as e:  # a probe reports every failure, whatever raised it
                detail = "".join(traceback.format_exception_only(type(e), e)).strip().replace("\n", " ")
                print(f"FAIL {name}: {detail[:600]}", flush=True)
                RESULTS.append(False)
                return
            print(f"PASS {name} ({time.monotonic() - start:.2f}s)", flush=True)
            RESULTS.append(True)

        run.probe_name = name
        PROBES.append(run)
        return fn

    return wrap


PROBES = []


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_status(code, call):
    try:
        call()
    except ApiException as e:
        check(e.status == code, f"expected HTTP {code}, got {e.status}: {e.body}")
        return json.loads(e.body) if e.body else {}
    raise AssertionError(f"expected HTTP {code}, the call succeeded")


def until(what, predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.1)


def meta(name, labels=None):
    return client.V1ObjectMeta(name=name, namespace=NS, labels=labels)


def config_map(name, labels=None, data=None):
    return client.V1ConfigMap(metadata=meta(name, labels), data=data or {"k": "v"})


def deployment(name, replicas=1, image="ghcr.io/stefanprodan/podinfo:6.0.0", resources=None):
    container = client.V1Container(name="podinfo", image=image, resources=resources,
                                   ports=[client.V1ContainerPort(container_port=9898)])
    return client.V1Deployment(
        metadata=meta(name, {"app": name}),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels={"app": name}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": name}),
                spec=client.V1PodSpec(containers=[container]))))


def main():
    config.load_kube_config(sys.argv[1])
    global core, apps, coordination, events, custom, raw
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    coordination, events = client.CoordinationV1Api(), client.EventsV1Api()
    custom, raw = client.CustomObjectsApi(), client.ApiClient()
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
    for run in PROBES:
        run()
    failed = RESULTS.count(False)
    print(f"python-conformance: {RESULTS.count(True)} passed, {failed} failed", flush=True)
    return 1 if failed else 0


# ---- core/v1 ---------------------------------------------------------------------------------------------

@probe("core-namespace-read-list")
def _():
    ns = core.read_namespace(NS)
    check(ns.status.phase == "Active", f"namespace phase {ns.status.phase}")
    check(NS in [n.metadata.name for n in core.list_namespace().items], "namespace not listed")


@probe("core-configmap-crud")
def _():
    created = core.create_namespaced_config_map(NS, config_map("crud"))
    check(created.metadata.uid and created.metadata.resource_version, "no uid/resourceVersion on create")
    read = core.read_namespaced_config_map("crud", NS)
    read.data["k"] = "replaced"
    replaced = core.replace_namespaced_config_map("crud", NS, read)
    check(replaced.data["k"] == "replaced", "replace did not take")
    check(int(replaced.metadata.resource_version) > int(created.metadata.resource_version), "resourceVersion did not grow")
    core.delete_namespaced_config_map("crud", NS)
    expect_status(404, lambda: core.read_namespaced_config_map("crud", NS))


@probe("core-conflict-409")
def _():
    first = core.create_namespaced_config_map(NS, config_map("conflict"))
    body = expect_status(409, lambda: core.create_namespaced_config_map(NS, config_map("conflict")))
    check(body.get("reason") == "AlreadyExists", f"reason {body.get('reason')}")
    core.patch_namespaced_config_map("conflict", NS, {"data": {"k": "newer"}})
    stale = config_map("conflict", data={"k": "stale"})
    stale.metadata.resource_version = first.metadata.resource_version
    body = expect_status(409, lambda: core.replace_namespaced_config_map("conflict", NS, stale))
    check(body.get("reason") == "Conflict", f"reason {body.get('reason')}")


def merge_patch(path, body, response_type):
    """A JSON merge patch on a built-in kind: this client sends dict bodies as strategic merge patches."""
    return raw.call_api(path, "PATCH", header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
                        body=body, response_type=response_type, auth_settings=["BearerToken"], _return_http_data_only=True)


@probe("core-patch-strategic-merge-json-and-merge")
def _():
    core.create_namespaced_config_map(NS, config_map("patched", data={"a": "1", "b": "2"}))
    # A dict body goes out as a strategic merge patch for built-in kinds; null deletes a key.
    merged = core.patch_namespaced_config_map("patched", NS, {"data": {"a": None, "c": "3"}})
    check(merged.data == {"b": "2", "c": "3"}, f"strategic merge patch gave {merged.data}")
    # A list body goes out as a JSON patch.
    patched = core.patch_namespaced_config_map("patched", NS, [
        {"op": "test", "path": "/data/b", "value": "2"},
        {"op": "replace", "path": "/data/b", "value": "two"},
        {"op": "add", "path": "/metadata/labels", "value": {"patched": "yes"}},
    ])
    check(patched.data["b"] == "two" and patched.metadata.labels == {"patched": "yes"}, f"json patch gave {patched}")
    expect_status(422, lambda: core.patch_namespaced_config_map("patched", NS, [{"op": "test", "path": "/data/b", "value": "2"}]))
    replaced = merge_patch(f"/api/v1/namespaces/{NS}/configmaps/patched", {"data": {"c": None, "d": "4"}}, "V1ConfigMap")
    check(isinstance(replaced, client.V1ConfigMap) and replaced.data == {"b": "two", "d": "4"}, f"merge patch gave {replaced}")


@probe("core-list-pagination")
def _():
    for i in range(7):
        core.create_namespaced_config_map(NS, config_map(f"page-{i}", {"paged": "yes"}))
    names, token, pages = [], None, 0
    while True:
        page = core.list_namespaced_config_map(NS, label_selector="paged=yes", limit=3, _continue=token)
        pages += 1
        check(len(page.items) <= 3, f"page of {len(page.items)}")
        names += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
    check(pages == 3 and sorted(names) == [f"page-{i}" for i in range(7)], f"{pages} pages: {names}")


@probe("core-list-label-selectors")
def _():
    core.create_namespaced_config_map(NS, config_map("web-1", {"tier": "web", "zone": "a"}))
    core.create_namespaced_config_map(NS, config_map("db-1", {"tier": "db"}))

    def names(selector):
        return sorted(c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector=selector).items)

    check(names("tier=web") == ["web-1"], names("tier=web"))
    check(names("tier in (web,db)") == ["db-1", "web-1"], names("tier in (web,db)"))
    check(names("tier,!zone") == ["db-1"], names("tier,!zone"))
    check(names("tier!=web,tier") == ["db-1"], names("tier!=web,tier"))


@probe("core-list-field-selectors")
def _():
    core.create_namespaced_config_map(NS, config_map("field-1"))
    found = core.list_namespaced_config_map(NS, field_selector="metadata.name=field-1").items
    check([c.metadata.name for c in found] == ["field-1"], f"found {[c.metadata.name for c in found]}")
    everywhere = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={NS},metadata.name!=field-1").items
    check(everywhere and all(c.metadata.namespace == NS and c.metadata.name != "field-1" for c in everywhere), "namespace field selector")


@probe("core-events-v1")
def _():
    core.create_namespaced_event(NS, client.CoreV1Event(
        metadata=meta("probe.1"), involved_object=client.V1ObjectReference(kind="ConfigMap", name="field-1", namespace=NS),
        reason="Probed", message="core/v1 event", type="Normal"))
    found = core.list_namespaced_event(NS, field_selector="involvedObject.name=field-1,involvedObject.kind=ConfigMap").items
    check([e.reason for e in found] == ["Probed"], f"events {[e.reason for e in found]}")


# ---- apps/v1: status and scale subresources, strategic merge patch -----------------------------------------

@probe("apps-deployment-status-subresource")
def _():
    apps.create_namespaced_deployment(NS, deployment("podinfo", replicas=2))

    def available():
        d = apps.read_namespaced_deployment_status("podinfo", NS)
        return d if d.status and (d.status.available_replicas or 0) == 2 else None

    d = until("the Deployment to be available", available)
    check(any(c.type == "Available" and c.status == "True" for c in d.status.conditions), "no Available condition")


@probe("apps-deployment-strategic-merge-patch")
def _():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "podinfo", "image": "ghcr.io/stefanprodan/podinfo:6.0.1"}]}}}}
    # Built-in kinds get a strategic merge patch: the container list is merged by name, not replaced.
    d = apps.patch_namespaced_deployment("podinfo", NS, patch)
    containers = d.spec.template.spec.containers
    check(len(containers) == 1 and containers[0].image.endswith(":6.0.1"), f"containers {containers}")
    check(containers[0].ports and containers[0].ports[0].container_port == 9898, "the merge lost the container's ports")


@probe("apps-deployment-scale-subresource")
def _():
    scale = apps.read_namespaced_deployment_scale("podinfo", NS)
    check(scale.spec.replicas == 2, f"scale {scale.spec.replicas}")
    scaled = apps.patch_namespaced_deployment_scale("podinfo", NS, {"spec": {"replicas": 3}})
    check(scaled.spec.replicas == 3, f"scaled to {scaled.spec.replicas}")
    scaled.spec.replicas = 1
    apps.replace_namespaced_deployment_scale("podinfo", NS, scaled)
    check(apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 1, "replace of scale did not reach the Deployment")


@probe("core-pods-as-a-kubelet-reports-them")
def _():
    resources = client.V1ResourceRequirements(requests={"cpu": "100m", "memory": "64Mi"}, limits={"cpu": "100m", "memory": "64Mi"})
    apps.create_namespaced_deployment(NS, deployment("guaranteed", replicas=2, resources=resources))

    def ready_pods():
        pods = core.list_namespaced_pod(NS, label_selector="app=guaranteed").items  # typed: V1Pod, V1ContainerStatus
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
    raw_pod = core.read_namespaced_pod_status(pods[0].metadata.name, NS, _preload_content=False)
    status = json.loads(raw_pod.data)["status"]
    check(status.get("hostIPs") == [{"ip": status["hostIP"]}], f"hostIPs {status.get('hostIPs')}")
    besteffort = until("a best-effort pod", lambda: [p for p in core.list_namespaced_pod(NS, label_selector="app=podinfo").items if p.status.qos_class])
    check(besteffort[0].status.qos_class == "BestEffort", f"qosClass {besteffort[0].status.qos_class}")


@probe("core-pod-restart-on-image-change")
def _():
    core.create_namespaced_pod(NS, client.V1Pod(metadata=meta("tester"), spec=client.V1PodSpec(
        containers=[client.V1Container(name="tester", image="curlimages/curl:8.5.0", command=["sleep", "infinity"])])))

    def ready(restarts):
        def check_pod():
            p = core.read_namespaced_pod("tester", NS)
            statuses = p.status.container_statuses or []
            return p if statuses and statuses[0].ready and statuses[0].restart_count == restarts else None
        return check_pod

    before = until("the pod to start", ready(0))
    core.patch_namespaced_pod("tester", NS, {"spec": {"containers": [{"name": "tester", "image": "curlimages/curl:8.6.0"}]}})
    after = until("the restarted container to be ready", ready(1))
    old, new = before.status.container_statuses[0], after.status.container_statuses[0]
    check(new.container_id != old.container_id and new.last_state.terminated.container_id == old.container_id, f"{new}")
    ready_before = next(c for c in before.status.conditions if c.type == "Ready").last_transition_time
    ready_after = next(c for c in after.status.conditions if c.type == "Ready").last_transition_time
    check(ready_after > ready_before, f"Ready transition {ready_before} -> {ready_after}")
    core.delete_collection_namespaced_pod(NS, field_selector="metadata.name=tester")
    expect_status(404, lambda: core.read_namespaced_pod("tester", NS))


# ---- coordination.k8s.io and events.k8s.io ---------------------------------------------------------------

@probe("coordination-lease-crud")
def _():
    lease = client.V1Lease(metadata=meta("leader"), spec=client.V1LeaseSpec(holder_identity="a", lease_duration_seconds=15))
    created = coordination.create_namespaced_lease(NS, lease)
    created.spec.holder_identity = "b"
    renewed = coordination.replace_namespaced_lease("leader", NS, created)
    check(renewed.spec.holder_identity == "b", "holder not replaced")
    created.spec.holder_identity = "c"  # still carries the old resourceVersion
    expect_status(409, lambda: coordination.replace_namespaced_lease("leader", NS, created))
    coordination.delete_namespaced_lease("leader", NS)
    check(not coordination.list_namespaced_lease(NS).items, "lease still listed")


@probe("events-k8s-io-event-crud")
def _():
    event = client.EventsV1Event(
        metadata=meta("probe.2"), event_time=datetime.datetime.now(datetime.timezone.utc),
        reporting_controller="python-conformance", reporting_instance="probe", action="Probe", reason="Probed",
        regarding=client.V1ObjectReference(kind="ConfigMap", name="field-1", namespace=NS), note="events.k8s.io", type="Normal")
    events.create_namespaced_event(NS, event)
    read = events.read_namespaced_event("probe.2", NS)
    check(read.note == "events.k8s.io" and read.regarding.name == "field-1", f"read {read}")
    patched = events.patch_namespaced_event("probe.2", NS, {"note": "patched"})
    check(patched.note == "patched", "patch did not take")
    # Selected by name: a core/v1 Event carries no eventTime, which this client's EventsV1Event refuses to read.
    check([e.metadata.name for e in events.list_namespaced_event(NS, field_selector="metadata.name=probe.2").items] == ["probe.2"], "not listed")
    events.delete_namespaced_event("probe.2", NS)


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
    custom.create_namespaced_custom_object(GROUP, VERSION, NS, "canaries", canary("podinfo", {"team": "a"}))
    custom.create_namespaced_custom_object(GROUP, VERSION, NS, "canaries", canary("other", {"team": "b"}))
    got = custom.get_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo")
    check(got["spec"]["analysis"]["stepWeight"] == 10, f"spec {got['spec']}")
    patched = custom.patch_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo", {"spec": {"analysis": {"stepWeight": 20}}})
    check(patched["spec"]["analysis"] == {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 20}, f"merge patch {patched['spec']}")
    status = {"status": {"phase": "Succeeded", "conditions": [{"type": "Promoted", "status": "True", "reason": "Succeeded",
                                                              "message": "done", "lastUpdateTime": "2026-01-01T00:00:00Z",
                                                              "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    custom.patch_namespaced_custom_object_status(GROUP, VERSION, NS, "canaries", "podinfo", status)
    read = custom.get_namespaced_custom_object_status(GROUP, VERSION, NS, "canaries", "podinfo")
    check(read["status"]["phase"] == "Succeeded", f"status {read.get('status')}")
    # The status subresource ignores spec, and the main resource ignores status.
    custom.patch_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo", {"status": {"phase": "Failed"}})
    check(custom.get_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo")["status"]["phase"] == "Succeeded", "status changed through the main resource")
    selected = custom.list_namespaced_custom_object(GROUP, VERSION, NS, "canaries", label_selector="team=b")
    check([c["metadata"]["name"] for c in selected["items"]] == ["other"], f"selected {selected['items']}")
    stale = dict(got)
    body = expect_status(409, lambda: custom.replace_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "podinfo", stale))
    check(body.get("reason") == "Conflict", f"reason {body.get('reason')}")
    custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "other")
    expect_status(404, lambda: custom.get_namespaced_custom_object(GROUP, VERSION, NS, "canaries", "other"))


@probe("flagger-metrictemplate-and-alertprovider-crud")
def _():
    template = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "MetricTemplate", "metadata": {"name": "latency", "namespace": NS},
                "spec": {"provider": {"type": "prometheus", "address": "http://prometheus.istio-system:9090"},
                         "query": "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket[{{ interval }}])) by (le))"}}
    provider = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "AlertProvider", "metadata": {"name": "on-call", "namespace": NS},
                "spec": {"type": "slack", "channel": "on-call", "username": "flagger"}}
    custom.create_namespaced_custom_object(GROUP, VERSION, NS, "metrictemplates", template)
    custom.create_namespaced_custom_object(GROUP, VERSION, NS, "alertproviders", provider)
    custom.patch_namespaced_custom_object(GROUP, VERSION, NS, "alertproviders", "on-call", {"spec": {"channel": "rollouts"}})
    check(custom.get_namespaced_custom_object(GROUP, VERSION, NS, "alertproviders", "on-call")["spec"]["channel"] == "rollouts", "patch")
    listed = custom.list_cluster_custom_object(GROUP, VERSION, "metrictemplates")
    check("latency" in [t["metadata"]["name"] for t in listed["items"]], "template not listed cluster-wide")
    custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "metrictemplates", "latency")
    custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "alertproviders", "on-call")
    check(not custom.list_namespaced_custom_object(GROUP, VERSION, NS, "metrictemplates")["items"], "template still listed")


# ---- watches ---------------------------------------------------------------------------------------------

@probe("watch-added-within-1s-of-create")
def _():
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    seen = {}
    done = threading.Event()

    def consume():
        w = watch.Watch()
        for e in w.stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=10,
                          field_selector="metadata.name=watched"):
            if e["type"] == "ADDED":
                seen["at"] = time.monotonic()
                seen["object"] = e["object"]
                w.stop()
        done.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    time.sleep(0.3)  # let the watch connect; the watch starts from rv, so an early create is not lost either way
    created_at = time.monotonic()
    core.create_namespaced_config_map(NS, config_map("watched"))
    check(done.wait(10), "the watch ended without the ADDED event")
    check("at" in seen, "no ADDED event")
    check(isinstance(seen["object"], client.V1ConfigMap), f"event object is {type(seen['object'])}")
    delay = seen["at"] - created_at
    check(delay < 1.0, f"ADDED seen {delay:.2f}s after the create")
    print(f"  ADDED seen {delay * 1000:.0f} ms after the create returned", flush=True)


@probe("watch-from-resource-version-replays-in-order")
def _():
    rv = core.create_namespaced_config_map(NS, config_map("replay")).metadata.resource_version
    core.patch_namespaced_config_map("replay", NS, {"data": {"k": "2"}})
    core.delete_namespaced_config_map("replay", NS)
    w = watch.Watch()
    seen = []
    for e in w.stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2, field_selector="metadata.name=replay"):
        seen.append((e["type"], e["object"].metadata.name, e["object"].data))
        if len(seen) == 2:
            w.stop()
    check(seen == [("MODIFIED", "replay", {"k": "2"}), ("DELETED", "replay", {"k": "2"})], f"seen {seen}")


@probe("watch-label-selector")
def _():
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    core.create_namespaced_config_map(NS, config_map("sel-web", {"sel": "web"}))
    core.create_namespaced_config_map(NS, config_map("sel-db", {"sel": "db"}))
    core.patch_namespaced_config_map("sel-web", NS, {"metadata": {"labels": {"sel": "db"}}})
    w = watch.Watch()
    seen = []
    for e in w.stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2, label_selector="sel=web"):
        seen.append((e["type"], e["object"].metadata.name))
        if len(seen) == 2:
            w.stop()
    check(seen == [("ADDED", "sel-web"), ("DELETED", "sel-web")], f"seen {seen}")


@probe("watch-bookmarks-with-timeout")
def _():
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    start = time.monotonic()
    bookmarks = []
    for e in watch.Watch().stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=3, allow_watch_bookmarks=True):
        if e["type"] == "BOOKMARK":
            bookmarks.append(e["raw_object"]["metadata"]["resourceVersion"])
    elapsed = time.monotonic() - start
    check(bookmarks, "no BOOKMARK before the timeout")
    check(int(bookmarks[-1]) >= int(rv), f"bookmark {bookmarks[-1]} older than {rv}")
    check(elapsed < 4.0, f"the watch ran {elapsed:.2f}s")


@probe("watch-quiet-timeout-3s-ends-within-4s")
def _():
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    start = time.monotonic()
    events_seen = list(watch.Watch().stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=3))
    elapsed = time.monotonic() - start
    check(not events_seen, f"a quiet watch saw {events_seen}")
    check(2.5 <= elapsed < 4.0, f"ended after {elapsed:.2f}s")
    print(f"  quiet watch ended after {elapsed:.2f}s", flush=True)


@probe("watch-expired-resource-version-410")
def _():
    rv = core.create_namespaced_config_map(NS, config_map("churn")).metadata.resource_version
    # eng/python-conformance/run serves the cluster with a short watch history; outrun it.
    for i in range(int(sys.argv[2]) + 10 if len(sys.argv) > 2 else 0):
        core.patch_namespaced_config_map("churn", NS, {"data": {"k": str(i)}})
    try:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2):
            pass
    except ApiException as e:
        check(e.status == 410, f"status {e.status}")
        check("Expired" in (e.reason or ""), f"reason {e.reason}")
        return
    raise AssertionError("the watch from a compacted resourceVersion did not fail with 410")


# ---- query parameters ------------------------------------------------------------------------------------

@probe("boolean-query-parameters")
def _():
    host = raw.configuration.host

    def get(query):
        request = urllib.request.Request(f"{host}/api/v1/namespaces/{NS}/configmaps?{query}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.readline() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    for spelling in ("1", "t", "T", "TRUE", "true", "True"):
        status, first = get(f"watch={spelling}&timeoutSeconds=1")
        check(status == 200 and first.get("type") == "ADDED", f"watch={spelling}: {status} {str(first)[:120]}")
    for spelling in ("0", "f", "F", "FALSE", "false", "False"):
        status, body = get(f"watch={spelling}")
        check(status == 200 and body.get("kind") == "ConfigMapList", f"watch={spelling}: {status} {body.get('kind')}")
    status, body = get("watch=yes")
    check(status == 400 and "watch" in body.get("message", ""), f"watch=yes: {status} {body}")
    status, body = get("pretty=maybe")
    check(status == 400 and "pretty" in body.get("message", ""), f"pretty=maybe: {status} {body}")


if __name__ == "__main__":
    sys.exit(main())
