"""The official Python client (python3-kubernetes 22.6.0) against `kubeloop dev`.

Run by e2e/python/client.test.ts with KUBECONFIG naming the dev cluster. What each test checks
is what the client's own e2e suite (v22.6.0, kubernetes/e2e_test) relies on, written here from
kube-apiserver's behaviour: error bodies kept verbatim by the client (`FailToCreateError`,
`ApiException.body`), APIServices, workloads that get scheduled and run, watches.
"""
import time
import uuid

import pytest
from kubernetes import client, config, utils, watch
from kubernetes.client.rest import ApiException


def status_body(message, reason, details, code):
    # metav1.Status as kube-apiserver's json.Encoder writes it: fields in declaration order,
    # no spaces, a newline at the end.
    import json
    return json.dumps({'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',
                       'message': message, 'reason': reason, 'details': details, 'code': code},
                      separators=(',', ':')) + '\n'


def suffix():
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope='module')
def api():
    return config.new_client_from_config()


@pytest.fixture()
def namespace(api):
    core = client.CoreV1Api(api)
    name = 'py-' + suffix()
    core.create_namespace({'metadata': {'name': name}})
    yield name
    core.delete_namespace(name)


def wait_for(what, check, timeout=60):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(0.2)


def test_apiservice_create_read_conflict_delete(api):
    name = 'v1alpha1.py' + suffix() + '.example.com'
    group = name.split('.', 1)[1]
    manifest = {'apiVersion': 'apiregistration.k8s.io/v1', 'kind': 'APIService', 'metadata': {'name': name},
                'spec': {'group': group, 'version': 'v1alpha1', 'groupPriorityMinimum': 1000, 'versionPriority': 15,
                         'insecureSkipTLSVerify': True, 'service': {'name': 'api', 'namespace': 'nowhere'}}}
    utils.create_from_dict(api, manifest)
    reg = client.ApiregistrationV1Api(api)
    assert reg.read_api_service(name).spec.group == group
    with pytest.raises(utils.FailToCreateError) as err:
        utils.create_from_dict(api, manifest)
    assert str(err.value) == 'Error from server (Conflict): ' + status_body(
        'apiservices.apiregistration.k8s.io "%s" already exists' % name, 'AlreadyExists',
        {'name': name, 'group': 'apiregistration.k8s.io', 'kind': 'apiservices'}, 409)
    reg.delete_api_service(name)
    with pytest.raises(ApiException) as gone:
        reg.read_api_service(name)
    assert gone.value.status == 404


def test_already_exists_for_each_object_of_a_list(api, namespace):
    svc = lambda n: {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': n},
                     'spec': {'ports': [{'port': 80}], 'selector': {'app': n}}}
    utils.create_from_dict(api, svc('one'), namespace=namespace)
    utils.create_from_dict(api, svc('two'), namespace=namespace)
    with pytest.raises(utils.FailToCreateError) as err:
        utils.create_from_dict(api, {'apiVersion': 'v1', 'kind': 'List', 'items': [svc('one'), svc('three'), svc('two')]},
                               namespace=namespace)
    assert str(err.value) == ''.join('Error from server (Conflict): ' + status_body(
        'services "%s" already exists' % n, 'AlreadyExists', {'name': n, 'kind': 'services'}, 409) for n in ('one', 'two'))
    assert client.CoreV1Api(api).read_namespaced_service('three', namespace).metadata.name == 'three'


def test_update_with_a_stale_resource_version_conflicts(api, namespace):
    core = client.CoreV1Api(api)
    cm = core.create_namespaced_config_map(namespace, {'metadata': {'name': 'settings'}, 'data': {'a': '1'}})
    cm.data['a'] = '2'
    core.replace_namespaced_config_map('settings', namespace, cm)
    cm.data['a'] = '3'
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map('settings', namespace, cm)
    assert err.value.status == 409
    assert err.value.reason == 'Conflict'
    assert err.value.body == status_body(
        'Operation cannot be fulfilled on configmaps "settings": the object has been modified; '
        'please apply your changes to the latest version and try again',
        'Conflict', {'name': 'settings', 'kind': 'configmaps'}, 409)


def test_delete_answers_a_success_status(api, namespace):
    core = client.CoreV1Api(api)
    uid = core.create_namespaced_config_map(namespace, {'metadata': {'name': 'gone'}}).metadata.uid
    status = core.delete_namespaced_config_map('gone', namespace)
    assert (status.kind, status.status, status.code) == ('Status', 'Success', None)
    assert (status.details.name, status.details.kind, status.details.uid) == ('gone', 'configmaps', uid)


def test_deployment_pods_run(api, namespace):
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    labels = {'app': 'web'}
    apps.create_namespaced_deployment(namespace, {
        'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'web'},
        'spec': {'replicas': 2, 'selector': {'matchLabels': labels},
                 'template': {'metadata': {'labels': labels},
                              'spec': {'containers': [{'name': 'nginx', 'image': 'nginx:1.25', 'ports': [{'containerPort': 80}]}]}}}})
    ready = lambda d: d.status is not None and d.status.ready_replicas == 2
    wait_for('2 ready replicas', lambda: ready(apps.read_namespaced_deployment_status('web', namespace)))
    pods = core.list_namespaced_pod(namespace, label_selector='app=web').items
    assert sorted(p.status.phase for p in pods) == ['Running', 'Running']
    assert all(p.spec.node_name for p in pods)
    apps.delete_namespaced_deployment('web', namespace, propagation_policy='Foreground')


def test_watch_sees_a_created_config_map(api, namespace):
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    core.create_namespaced_config_map(namespace, {'metadata': {'name': 'watched'}})
    w = watch.Watch()
    seen = []
    for event in w.stream(core.list_namespaced_config_map, namespace, resource_version=rv, timeout_seconds=10):
        seen.append((event['type'], event['object'].metadata.name))
        if ('ADDED', 'watched') in seen:
            w.stop()
    assert ('ADDED', 'watched') in seen
