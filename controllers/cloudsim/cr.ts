/**
 * Container Registry 2018-12-01 (Enterprise Edition API): instances, their endpoints
 * and temporary login credentials. CR answers with `Code: "success"` and
 * `IsSuccess: true` on success.
 */
import { SimError } from './cloud.js';
import { randomToken, type RegistryInstance } from './state.js';
import { intParam, required, type RpcContext, type RpcService } from './rpc.js';

/** Fills the emulator's port into a configured registry domain. */
export function renderDomain(domain: string, port: number): string {
  return domain.replace('{port}', String(port));
}

function instance(ctx: RpcContext, id: string): RegistryInstance {
  const i = ctx.cloud.state.registries.find((r) => r.instanceId === id);
  if (!i) throw new SimError('INSTANCE_NOT_EXIST', `The instance ${id} does not exist.`, 404);
  return i;
}

const ok = { Code: 'success', IsSuccess: true };

export const crService: RpcService = {
  service: 'cr',
  // CR API reference, e.g. GetInstance: `acs:cr:{#regionId}:{#accountId}:instance/{#InstanceId}`
  resource: (_action, p) => (p.InstanceId ? `instance/${p.InstanceId}` : undefined),
  version: '2018-12-01',
  handlers: {
    ListInstance(p, ctx) {
      const pageNo = intParam(p, 'PageNo', 1)!;
      const pageSize = intParam(p, 'PageSize', 30)!;
      if (pageNo < 1 || pageSize < 1 || pageSize > 100) throw new SimError('PARAM_INVALID', 'PageNo must be >= 1 and PageSize between 1 and 100.', 400);
      const list = ctx.cloud.state.registries.filter((r) =>
        (!p.RegionId || r.regionId === p.RegionId) && (!p.InstanceName || r.instanceName === p.InstanceName)
        && (!p.InstanceStatus || r.instanceStatus === p.InstanceStatus));
      const page = list.slice((pageNo - 1) * pageSize, pageNo * pageSize);
      return {
        ...ok, PageNo: pageNo, PageSize: pageSize, TotalCount: list.length,
        Instances: page.map((r) => ({
          InstanceId: r.instanceId, InstanceName: r.instanceName, RegionId: r.regionId, InstanceStatus: r.instanceStatus,
          InstanceSpecification: r.instanceSpecification, CreateTime: r.createTime, ModifiedTime: r.createTime, ResourceGroupId: '',
        })),
      };
    },

    ListInstanceEndpoint(p, ctx) {
      const i = instance(ctx, required(p, 'InstanceId'));
      const module = p.ModuleName || 'Registry';
      if (module !== 'Registry') return { ...ok, Endpoints: [] };
      const domains = (list: string[], type: 'SYSTEM' | 'USER') => list.map((d) => ({ Domain: renderDomain(d, ctx.port), Type: type }));
      return {
        ...ok,
        Endpoints: [
          { EndpointType: 'internet', Enable: true, Status: 'RUNNING', AclEnable: false, AclEntries: [], Domains: domains(i.domains, 'SYSTEM') },
          { EndpointType: 'intranet', Enable: true, Status: 'RUNNING', AclEnable: false, AclEntries: [], Domains: domains(i.vpcDomains, 'SYSTEM') },
        ],
      };
    },

    GetAuthorizationToken(p, ctx) {
      const i = instance(ctx, required(p, 'InstanceId'));
      // Credentials obtained with an STS token never outlive that token.
      let expiresAt = ctx.now + ctx.cloud.timings.registryTokenLifetimeMs;
      if (ctx.caller.sts) expiresAt = Math.min(expiresAt, ctx.caller.sts.expiresAt);
      const password = randomToken(32);
      const state = ctx.cloud.state;
      state.registryCredentials = state.registryCredentials.filter((c) => c.expiresAt > ctx.now);
      state.registryCredentials.push({ instanceId: i.instanceId, username: 'cr_temp_user', password, expiresAt });
      ctx.cloud.changed();
      return { ...ok, TempUsername: 'cr_temp_user', AuthorizationToken: password, ExpireTime: expiresAt };
    },
  },
};
