import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { autoscalerFlags, parseAutoDiscovery, parseAutoscalerConfig, parseDuration, parseNodeGroupSpec, parseRange } from './config.js';
import { StatusTracker, healthOf } from './status.js';

/** Parses argv with the plugin's flags, as `kubeloop run` does. */
function flags(argv: string[]): Record<string, unknown> {
  const cmd = new Command().exitOverride();
  for (const o of autoscalerFlags()) cmd.addOption(o);
  cmd.parse(argv, { from: 'user' });
  return cmd.opts();
}

describe('cluster-autoscaler config', () => {
  it('has upstream\'s defaults', () => {
    const c = parseAutoscalerConfig(flags(['--nodes', '1:10:asg-a']));
    assert.deepEqual(c.nodes, [{ min: 1, max: 10, id: 'asg-a' }]);
    assert.equal(c.scanIntervalMs, 10_000);
    assert.equal(c.expander, 'least-waste');
    assert.equal(c.maxNodeProvisionTimeMs, 15 * 60_000);
    assert.equal(c.initialBackoffMs, 5 * 60_000);
    assert.equal(c.maxBackoffMs, 30 * 60_000);
    assert.equal(c.utilizationThreshold, 0.5);
    assert.equal(c.unneededTimeMs, 10 * 60_000);
    assert.equal(c.delayAfterAddMs, 10 * 60_000);
    assert.equal(c.delayAfterFailureMs, 3 * 60_000);
    assert.deepEqual(c.coresTotal, { min: 0, max: 320000 });
    assert.deepEqual(c.memoryTotal, { min: 0, max: 6400000 * 2 ** 30 });
    assert.equal(c.maxNodesTotal, 0);
    assert.equal(c.scaleDownEnabled, true);
    assert.equal(c.statusConfigMapName, 'cluster-autoscaler-status');
    assert.equal(c.namespace, 'kube-system');
  });

  it('takes repeated --nodes and --node-group-auto-discovery, and boolean flags as =false', () => {
    const c = parseAutoscalerConfig(flags(['--nodes', '1:3:asg-a', '--nodes=0:5:asg-b', '--node-group-auto-discovery', 'tag:team=a,env=prod', '--scale-down-enabled=false', '--scan-interval', '500ms']));
    assert.deepEqual(c.nodes.map((n) => n.id), ['asg-a', 'asg-b']);
    assert.deepEqual(c.autoDiscovery, [{ team: 'a', env: 'prod' }]);
    assert.equal(c.scaleDownEnabled, false);
    assert.equal(c.scanIntervalMs, 500);
  });

  it('rejects bad values with messages that say what to write', () => {
    assert.throws(() => parseAutoscalerConfig(flags([])), /no node groups/);
    assert.throws(() => parseNodeGroupSpec('1:x:asg'), /<min>:<max>:<scaling group id>/);
    assert.throws(() => parseAutoscalerConfig(flags(['--nodes', '1:2:a', '--nodes', '1:3:a'])), /given twice/);
    assert.throws(() => parseAutoDiscovery('label:x=y'), /tag:<key>=<value>/);
    assert.throws(() => parseRange('5', '--cores-total'), /<min>:<max>/);
    assert.throws(() => parseRange('5:1', '--cores-total'), /greater than max/);
    assert.throws(() => parseDuration('10 minutes', '--scan-interval'), /not a duration/);
    assert.throws(() => parseAutoscalerConfig(flags(['--nodes', '1:2:a', '--scale-down-utilization-threshold', '1.5'])), /between 0 and 1/);
    assert.throws(() => parseAutoscalerConfig(flags(['--nodes', '1:2:a', '--max-nodes-total', '-1'])), /--max-nodes-total/);
    assert.throws(() => parseAutoscalerConfig(flags(['--nodes', '1:2:a', '--initial-node-group-backoff-duration', '1h'])), /must not be shorter/);
    assert.equal(parseDuration('1m30s', 'x'), 90_000);
  });
});

describe('status text', () => {
  it('renders cluster and group state and keeps transition times until the state changes', () => {
    const t = new StatusTracker();
    const counts = { ready: 2, unready: 0, notStarted: 1, registered: 2, longUnregistered: 0 };
    const render = (now: number, scaleUp: 'InProgress' | 'NoActivity') => t.render({
      now, counts, scaleUp, scaleDown: 'NoCandidates', candidates: 0,
      groups: [{ id: 'asg-a', counts, min: 1, max: 5, target: 3, scaleUp, candidates: 0 }],
    });
    const a = render(Date.UTC(2026, 0, 1), 'InProgress');
    assert.match(a, /^Cluster-autoscaler status at 2026-01-01T00:00:00Z:\nCluster-wide:\n  Health:      Healthy \(ready=2 unready=0 notStarted=1 registered=2 longUnregistered=0\)/);
    assert.match(a, /  ScaleUp:     InProgress \(ready=2 registered=2\)/);
    assert.match(a, /  Name:        asg-a\n  Health:      Healthy \(.* cloudProviderTarget=3 \(minSize=1, maxSize=5\)\)/);
    const b = render(Date.UTC(2026, 0, 1, 0, 1), 'InProgress');
    assert.match(b, /ScaleUp:     InProgress \(ready=2 registered=2\)\n               LastProbeTime:      2026-01-01T00:01:00Z\n               LastTransitionTime: 2026-01-01T00:00:00Z/);
    const c = render(Date.UTC(2026, 0, 1, 0, 2), 'NoActivity');
    assert.match(c, /ScaleUp:     NoActivity \(ready=2 registered=2\)\n               LastProbeTime:      2026-01-01T00:02:00Z\n               LastTransitionTime: 2026-01-01T00:02:00Z/);
  });
  it('is unhealthy when more than 45% (and more than 3) of the nodes are unready', () => {
    assert.equal(healthOf({ ready: 4, unready: 4, notStarted: 0, registered: 8, longUnregistered: 0 }), 'Unhealthy');
    assert.equal(healthOf({ ready: 1, unready: 2, notStarted: 0, registered: 3, longUnregistered: 0 }), 'Healthy');
  });
});
