"""Probes the embedded API server with the Kubernetes Python client, as a platform team's script would.

Run by eng/python-conformance/run, which serves the cluster; usage: conformance.py KUBECONFIG.
Every probe goes through the client's typed models (V1Pod, V1Deployment, ...), so a field the models require
and the server leaves out fails the probe. Prints one PASS or FAIL line per probe; exits 1 if any failed.
"""


import sys

from kubernetes import client, config

import harness
import objects  # noqa: F401  (registers its probes)
import watches  # noqa: F401  (registers its probes)


def main():
    config.load_kube_config(sys.argv[1])
    harness.connect()
    harness.api.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=harness.NS)))
    for run in harness.PROBES:
        run()
    failed = harness.RESULTS.count(False)
    print(f"python-conformance: {harness.RESULTS.count(True)} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
