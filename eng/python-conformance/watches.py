"""Watches (from a resourceVersion, with bookmarks and timeouts, 410) and boolean query parameters."""

import json
import threading
import time
import urllib.error
import urllib.request

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from harness import NS, api, check, config_map, history_limit, probe


# ---- watches ---------------------------------------------------------------------------------------------

@probe("watch-added-within-1s-of-create")
def _():
    rv = api.core.list_namespaced_config_map(NS).metadata.resource_version
    seen = {}
    done = threading.Event()

    def consume():
        w = watch.Watch()
        for e in w.stream(api.core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=10,
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
    api.core.create_namespaced_config_map(NS, config_map("watched"))
    check(done.wait(10), "the watch ended without the ADDED event")
    check("at" in seen, "no ADDED event")
    check(isinstance(seen["object"], client.V1ConfigMap), f"event object is {type(seen['object'])}")
    delay = seen["at"] - created_at
    check(delay < 1.0, f"ADDED seen {delay:.2f}s after the create")
    print(f"  ADDED seen {delay * 1000:.0f} ms after the create returned", flush=True)


@probe("watch-from-resource-version-replays-in-order")
def _():
    rv = api.core.create_namespaced_config_map(NS, config_map("replay")).metadata.resource_version
    api.core.patch_namespaced_config_map("replay", NS, {"data": {"k": "2"}})
    api.core.delete_namespaced_config_map("replay", NS)
    w = watch.Watch()
    seen = []
    for e in w.stream(api.core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2, field_selector="metadata.name=replay"):
        seen.append((e["type"], e["object"].metadata.name, e["object"].data))
        if len(seen) == 2:
            w.stop()
    check(seen == [("MODIFIED", "replay", {"k": "2"}), ("DELETED", "replay", {"k": "2"})], f"seen {seen}")


@probe("watch-label-selector")
def _():
    rv = api.core.list_namespaced_config_map(NS).metadata.resource_version
    api.core.create_namespaced_config_map(NS, config_map("sel-web", {"sel": "web"}))
    api.core.create_namespaced_config_map(NS, config_map("sel-db", {"sel": "db"}))
    api.core.patch_namespaced_config_map("sel-web", NS, {"metadata": {"labels": {"sel": "db"}}})
    w = watch.Watch()
    seen = []
    for e in w.stream(api.core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2, label_selector="sel=web"):
        seen.append((e["type"], e["object"].metadata.name))
        if len(seen) == 2:
            w.stop()
    check(seen == [("ADDED", "sel-web"), ("DELETED", "sel-web")], f"seen {seen}")


@probe("watch-bookmarks-with-timeout")
def _():
    rv = api.core.list_namespaced_config_map(NS).metadata.resource_version
    start = time.monotonic()
    bookmarks = []
    for e in watch.Watch().stream(api.core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=3, allow_watch_bookmarks=True):
        if e["type"] == "BOOKMARK":
            bookmarks.append(e["raw_object"]["metadata"]["resourceVersion"])
    elapsed = time.monotonic() - start
    check(bookmarks, "no BOOKMARK before the timeout")
    check(int(bookmarks[-1]) >= int(rv), f"bookmark {bookmarks[-1]} older than {rv}")
    check(elapsed < 4.0, f"the watch ran {elapsed:.2f}s")


@probe("watch-quiet-timeout-3s-ends-within-4s")
def _():
    rv = api.core.list_namespaced_config_map(NS).metadata.resource_version
    start = time.monotonic()
    events_seen = list(watch.Watch().stream(api.core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=3))
    elapsed = time.monotonic() - start
    check(not events_seen, f"a quiet watch saw {events_seen}")
    check(2.5 <= elapsed < 4.0, f"ended after {elapsed:.2f}s")
    print(f"  quiet watch ended after {elapsed:.2f}s", flush=True)


@probe("watch-expired-resource-version-410")
def _():
    rv = api.core.create_namespaced_config_map(NS, config_map("churn")).metadata.resource_version
    # eng/python-conformance/run serves the cluster with a short watch history; outrun it.
    for i in range(history_limit() + 10):
        api.core.patch_namespaced_config_map("churn", NS, {"data": {"k": str(i)}})
    try:
        for _ in watch.Watch().stream(api.core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2):
            pass
    except ApiException as e:
        check(e.status == 410, f"status {e.status}")
        check("Expired" in (e.reason or ""), f"reason {e.reason}")
        return
    raise AssertionError("the watch from a compacted resourceVersion did not fail with 410")


# ---- query parameters ------------------------------------------------------------------------------------

@probe("boolean-query-parameters")
def _():
    host = api.raw.configuration.host

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
