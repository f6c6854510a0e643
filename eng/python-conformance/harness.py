"""The probe registry, the clients and the helpers every probe module uses."""

import json
import sys
import time
import traceback
import types

from kubernetes import client
from kubernetes.client.rest import ApiException

NS = "pyconf"
GROUP, VERSION = "flagger.app", "v1beta1"
RESULTS = []

# The typed API clients, filled in by connect().
api = types.SimpleNamespace()


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


def connect():
    api.core, api.apps = client.CoreV1Api(), client.AppsV1Api()
    api.coordination, api.events = client.CoordinationV1Api(), client.EventsV1Api()
    api.custom, api.raw = client.CustomObjectsApi(), client.ApiClient()


def history_limit():
    """The watch history the served cluster keeps (the run script's second argument)."""
    return int(sys.argv[2]) if len(sys.argv) > 2 else 0
