// How the emulated VPC forwards a packet to a pod address: the longest-prefix route in force.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { podAddressReachable, vpcRouteFor } from './routing.js';
import { defaultCloud, type Instance, type RouteEntry } from './state.js';

describe('VPC routing of pod addresses', () => {
  const state = defaultCloud();
  const vpcId = state.vpcs[0].vpcId;
  const table = state.routeTables[0];
  const inst = (instanceId: string): Instance => ({ instanceId, vpcId } as Instance);
  state.instances.push(inst('i-a'), inst('i-b'));
  const entry = (id: string, cidr: string, hop: string, status: RouteEntry['status'] = 'Available'): RouteEntry => ({
    routeEntryId: id, routeTableId: table.routeTableId, destinationCidrBlock: cidr, nextHopType: 'Instance', nextHopId: hop,
    routeEntryName: '', description: '', type: 'Custom', status, creationTime: '',
  });

  it('follows the longest prefix in force to the pod\'s instance', () => {
    table.entries.push(entry('r1', '172.16.1.0/24', 'i-a'), entry('r2', '172.16.0.0/16', 'i-b'), entry('r3', '172.16.3.0/24', 'i-a', 'Pending'));
    assert.equal(vpcRouteFor(state, vpcId, '172.16.1.9')?.routeEntryId, 'r1');
    assert.equal(vpcRouteFor(state, vpcId, '172.16.2.9')?.routeEntryId, 'r2');
    assert.equal(vpcRouteFor(state, vpcId, '10.0.0.1'), undefined);
    assert.equal(podAddressReachable(state, 'i-a', '172.16.1.9'), true);
    // the covering /16 leads to another instance: the packet goes astray
    assert.equal(podAddressReachable(state, 'i-a', '172.16.2.9'), false);
    // a Pending entry is not in force yet
    assert.equal(podAddressReachable(state, 'i-a', '172.16.3.9'), false);
    assert.equal(podAddressReachable(state, 'i-missing', '172.16.1.9'), false);
    table.entries = table.entries.filter((e) => e.routeEntryId !== 'r1');
    assert.equal(podAddressReachable(state, 'i-a', '172.16.1.9'), false);
  });
});
