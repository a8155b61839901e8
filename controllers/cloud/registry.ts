/**
 * Container Registry adapter for the ACR credential helper: the Enterprise Edition API
 * (2018-12-01, RPC) and the Personal Edition's token call (2016-06-07, ROA `GET /tokens`).
 * There is no npm SDK for these API versions, so they go through pop-core like the other APIs.
 */
import { RpcApi, num, str, type RpcResponse } from './rpc-client.js';
import type { RoaApi } from './roa-client.js';
import type { AuthorizationToken, RegistryApi, RegistryEndpoint, RegistryInstance } from './types.js';

export class AlibabaRegistry implements RegistryApi {
  constructor(private readonly cr: RpcApi, private readonly regionId: string, private readonly personal: RoaApi) {}

  async listInstances(): Promise<RegistryInstance[]> {
    const out: RegistryInstance[] = [];
    for (let page = 1; ; page++) {
      const r = await this.cr.call('ListInstance', { RegionId: this.regionId, PageNo: page, PageSize: 100 });
      const items: RpcResponse[] = Array.isArray(r.Instances) ? r.Instances : [];
      for (const i of items) {
        out.push({
          instanceId: str(i.InstanceId), instanceName: str(i.InstanceName), regionId: str(i.RegionId),
          instanceStatus: str(i.InstanceStatus), instanceSpecification: str(i.InstanceSpecification),
        });
      }
      if (items.length < 100 || out.length >= num(r.TotalCount, Infinity)) return out;
    }
  }

  async listInstanceEndpoints(instanceId: string): Promise<RegistryEndpoint[]> {
    const r = await this.cr.call('ListInstanceEndpoint', { RegionId: this.regionId, InstanceId: instanceId, ModuleName: 'Registry' });
    const eps: RpcResponse[] = Array.isArray(r.Endpoints) ? r.Endpoints : [];
    return eps.map((e) => ({
      endpointType: str(e.EndpointType),
      enabled: e.Enable === true || e.Enable === 'true',
      domains: (Array.isArray(e.Domains) ? e.Domains : []).map((d: RpcResponse) => str(d.Domain)).filter(Boolean),
    }));
  }

  async registryDomains(instanceId: string, endpointType = 'internet'): Promise<string[]> {
    const eps = await this.listInstanceEndpoints(instanceId);
    return eps.filter((e) => e.enabled && e.endpointType === endpointType).flatMap((e) => e.domains);
  }

  async getAuthorizationToken(instanceId: string): Promise<AuthorizationToken> {
    const r = await this.cr.call('GetAuthorizationToken', { RegionId: this.regionId, InstanceId: instanceId }, { idempotent: true });
    return { tempUsername: str(r.TempUsername), authorizationToken: str(r.AuthorizationToken), expireTime: num(r.ExpireTime) };
  }

  async getPersonalAuthorizationToken(): Promise<AuthorizationToken> {
    // answers {data: {authorizationToken, tempUserName, expireDate (epoch ms)}}
    const d = (await this.personal.get('GetAuthorizationToken', '/tokens')).data ?? {};
    return { tempUsername: str(d.tempUserName), authorizationToken: str(d.authorizationToken), expireTime: num(d.expireDate) };
  }
}
