import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { parseDuration, parseRouteConfig, routeFlags } from './config.js';

function parse(argv: string[]): Record<string, unknown> {
  const cmd = new Command().exitOverride();
  for (const o of routeFlags()) cmd.addOption(o);
  cmd.parse(argv, { from: 'user' });
  return cmd.opts();
}

describe('route flags', () => {
  it('have the original defaults', () => {
    const c = parseRouteConfig(parse(['--cluster-cidr', '172.20.0.0/16']));
    assert.equal(c.configureCloudRoutes, true);
    assert.equal(c.reconciliationPeriodMs, 300_000);
    assert.equal(c.batchSize, 50);
    assert.equal(c.aggregationWaitMs, 1000);
    assert.equal(c.dryRun, false);
    assert.equal(c.clusterName, undefined, 'derived from the kube-system namespace at start-up');
    assert.equal(c.deleteConflictingRoutes, true);
    assert.equal(c.syncMaxAgeMs, 900_000);
    assert.deepEqual(c.routeTableIds, []);
    assert.equal(c.vpcId, undefined);
    assert.deepEqual(c.clusterCidrs.map((x) => x.text), ['172.20.0.0/16']);
    assert.deepEqual(c.warnings, []);
  });

  it('parse every flag', () => {
    const c = parseRouteConfig(parse([
      '--cluster-cidr', '172.20.0.0/16,fd00::/48', '--route-reconciliation-period', '1m30s', '--route-reconcile-batch-size', '10',
      '--node-event-aggregation-wait-seconds', '0.5', '--dry-run', '--cluster-name', 'prod-1', '--route-table-ids', 'vtb-a, vtb-b,vtb-a', '--vpc-id', 'vpc-x',
      '--delete-conflicting-routes=false', '--route-sync-max-age', '10m',
    ]));
    assert.equal(c.deleteConflictingRoutes, false);
    assert.equal(c.syncMaxAgeMs, 600_000);
    assert.equal(c.reconciliationPeriodMs, 90_000);
    assert.equal(c.batchSize, 10);
    assert.equal(c.aggregationWaitMs, 500);
    assert.equal(c.dryRun, true);
    assert.equal(c.clusterName, 'prod-1');
    assert.deepEqual(c.routeTableIds, ['vtb-a', 'vtb-b']);
    assert.equal(c.vpcId, 'vpc-x');
    assert.deepEqual(c.clusterCidrs.map((x) => x.text), ['172.20.0.0/16']);
  });

  it('--configure-cloud-routes=false needs no cluster CIDR', () => {
    const c = parseRouteConfig(parse(['--configure-cloud-routes=false']));
    assert.equal(c.configureCloudRoutes, false);
    assert.equal(parseRouteConfig(parse(['--configure-cloud-routes', '--cluster-cidr', '10.0.0.0/8'])).configureCloudRoutes, true);
    assert.throws(() => parse(['--configure-cloud-routes=maybe']), /not a boolean/);
  });

  it('warn about a resync period below one minute but accept it (tests need seconds)', () => {
    const c = parseRouteConfig(parse(['--cluster-cidr', '10.0.0.0/8', '--route-reconciliation-period', '2s']));
    assert.equal(c.reconciliationPeriodMs, 2000);
    assert.match(c.warnings[0], /below 1m.*production should keep >= 1m/);
  });

  it('refuse bad values with a message naming the flag', () => {
    const bad: Array<[string[], RegExp]> = [
      [[], /--cluster-cidr is required/],
      [['--cluster-cidr', '172.20.0.1/16'], /--cluster-cidr: "172.20.0.1\/16" is not an IPv4 network/],
      [['--cluster-cidr', 'fd00::/48'], /has no IPv4 range/],
      [['--cluster-cidr', '10.0.0.0/8', '--route-reconciliation-period', '5'], /--route-reconciliation-period: "5" is not a duration/],
      [['--cluster-cidr', '10.0.0.0/8', '--route-reconciliation-period', '0s'], /must be positive/],
      [['--cluster-cidr', '10.0.0.0/8', '--route-reconcile-batch-size', '0'], /--route-reconcile-batch-size must be a positive integer/],
      [['--cluster-cidr', '10.0.0.0/8', '--node-event-aggregation-wait-seconds', '-1'], /--node-event-aggregation-wait-seconds must be/],
      [['--cluster-cidr', '10.0.0.0/8', '--cluster-name', 'bad name'], /--cluster-name "bad name" must be/],
      [['--cluster-cidr', '10.0.0.0/8', '--route-table-ids', 'vtb-1,vtb 2'], /--route-table-ids: "vtb 2"/],
      [['--cluster-cidr', '10.0.0.0/8', '--route-sync-max-age', '0s'], /--route-sync-max-age must be positive/],
    ];
    for (const [argv, re] of bad) assert.throws(() => parseRouteConfig(parse(argv)), re, argv.join(' '));
  });
});

describe('parseDuration', () => {
  it('reads Go durations', () => {
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h2m3s'), 3_723_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('0'), 0);
    for (const bad of ['', '5', 'm', '5 m', '5d', '-5m']) assert.throws(() => parseDuration(bad), /not a duration/, bad);
  });
});
