// `kubeloop dev --flag name=value`: controller flags set from the dev command line, parsed as
// `kubeloop run` parses them (commander's own parsers, repeatable flags accumulating).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Option } from 'commander';
import { devFlagOverrides } from './dev.js';

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
const autoscaler = {
  flags: () => [
    new Option('--nodes <min:max:id>', 'repeatable').argParser(collect).default([]),
    new Option('--scan-interval <d>', 'a duration').default('10s'),
  ],
};
const route = { flags: () => [new Option('--route-reconciliation-period <d>', 'a duration').default('5m')] };

describe('kubeloop dev --flag', () => {
  it('sets each plugin\'s own flags; a repeated repeatable flag accumulates as on the command line', () => {
    const settings = ['nodes=1:3:asg-a', 'nodes=0:2:asg-b', 'scan-interval=2s', 'route-reconciliation-period=10s'];
    assert.deepEqual(devFlagOverrides(settings, autoscaler, [autoscaler, route]), { nodes: ['1:3:asg-a', '0:2:asg-b'], scanInterval: '2s' });
    assert.deepEqual(devFlagOverrides(settings, route, [autoscaler, route]), { routeReconciliationPeriod: '10s' });
  });

  it('refuses a flag no controller has, naming the known ones', () => {
    assert.throws(() => devFlagOverrides(['no-such=1'], route, [autoscaler, route]), /--flag no-such=1: no controller has a flag --no-such \(known: nodes, route-reconciliation-period, scan-interval\)/);
  });
});
