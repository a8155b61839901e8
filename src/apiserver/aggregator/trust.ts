/**
 * `kube-system/extension-apiserver-authentication`, as kube-apiserver's
 * ClusterAuthenticationTrustController publishes it: aggregated API servers built on
 * k8s.io/apiserver read it to authenticate requests. `requestheader-client-ca-file` and
 * `requestheader-allowed-names` say which client certificate (the aggregator's
 * `front-proxy-client`) may assert a user in the `requestheader-*-headers`; `client-ca-file` is
 * the CA of this server's client certificates.
 */
import { isStatus, type SemanticsHost } from '../semantics-kit.js';

const NAME = 'extension-apiserver-authentication';

export async function publishAuthenticationTrust(host: SemanticsHost, pems: { clientCa: string; frontProxyCa: string }): Promise<void> {
  const t = host.registry.get('', 'v1', 'configmaps')!;
  const data = {
    'client-ca-file': pems.clientCa,
    'requestheader-allowed-names': '["front-proxy-client"]',
    'requestheader-client-ca-file': pems.frontProxyCa,
    'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    'requestheader-group-headers': '["X-Remote-Group"]',
    'requestheader-username-headers': '["X-Remote-User"]',
  };
  const cur = host.store.get(t.storageKey, `kube-system/${NAME}`)?.obj as { data?: Record<string, string> } | undefined;
  if (cur && JSON.stringify(cur.data) === JSON.stringify(data)) return;
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: 'kube-system' }, data };
  try {
    if (cur) await host.ops.update(t, 'kube-system', NAME, obj);
    else await host.ops.create(t, 'kube-system', obj);
  } catch (e) {
    if (!isStatus(e, 409)) throw e;
  }
}
