// The renderer (Go text/template + sprig + Helm's functions and objects) and the RBAC hand-off:
// whatever `kubeloop generate rbac` writes into files/rbac/ is what the chart installs.
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { generateRbacYaml } from '../../src/controller/index.js';
import { GreetingController } from '../framework/example.js';
import { chartDir, coalesce, render } from './harness.js';

function withChartCopy(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-chart-copy-'));
  try {
    cpSync(chartDir, join(dir, 'kubeloop'), { recursive: true });
    fn(join(dir, 'kubeloop'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the ClusterRole follows whatever the generator wrote into files/rbac/clusterrole.yaml', () => {
  withChartCopy((chart) => {
    const file = join(chart, 'files/rbac/clusterrole.yaml');
    // the framework's example operator, generated now: the same path the real controllers take
    const yaml = generateRbacYaml([GreetingController], 'kubeloop-manager');
    writeFileSync(file, yaml);
    const generated = parseYaml(yaml.replace(/^#.*\n---\n/, ''));
    let r = render({ chart });
    assert.deepEqual((r.find('ClusterRole') as unknown as { rules: unknown }).rules, generated.rules);
    assert.ok(generated.rules.some((rule: { resources: string[] }) => rule.resources.includes('greetings/status')));
    // a regenerated file with other rules changes the chart, nothing is hard-coded
    const other = generateRbacYaml([GreetingController], 'kubeloop-manager', { leaderElection: false });
    writeFileSync(file, other);
    r = render({ chart });
    const rules = (r.find('ClusterRole') as unknown as { rules: Array<{ resources: string[] }> }).rules;
    assert.ok(!rules.some((rule) => rule.resources.includes('leases')));
    assert.equal(rules.length, generated.rules.length - 1);
    // a missing or broken file stops the render with what to do
    writeFileSync(file, '');
    assert.throws(() => render({ chart }), /files\/rbac\/clusterrole.yaml has no rules: run `make chart-rbac`/);
    writeFileSync(file, 'rules: [unclosed');
    assert.throws(() => render({ chart }), /files\/rbac\/clusterrole.yaml: error converting YAML to JSON/);
  });
});

test('the renderer provides Helm\'s built-in objects and functions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-chart-builtins-'));
  try {
    mkdirSync(join(dir, 'templates'));
    mkdirSync(join(dir, 'files'));
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 1.2.3\nappVersion: "4.5"\n');
    writeFileSync(join(dir, 'values.yaml'), 'greeting: hello\nlist: [a, b]\nnested: {x: 1}\n');
    writeFileSync(join(dir, 'values.schema.json'), '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}');
    writeFileSync(join(dir, 'files', 'data.yaml'), 'k: v\nitems: [1, 2]\n');
    writeFileSync(join(dir, 'templates', '_helpers.tpl'), '{{- define "probe.greet" -}}{{ .Values.greeting | upper }}{{- end -}}');
    writeFileSync(join(dir, 'templates', 'cm.yaml'), [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
      '  namespace: {{ .Release.Namespace }}',
      'data:',
      '  service: {{ .Release.Service }}',
      '  chart: {{ printf "%s-%s-%s" .Chart.Name .Chart.Version .Chart.AppVersion }}',
      '  template: {{ .Template.Name }}',
      '  include: {{ include "probe.greet" . }}',
      '  tpl: {{ tpl "{{ .Values.greeting }} {{ .Release.Name }}" . }}',
      '  hasApps: {{ .Capabilities.APIVersions.Has "apps/v1" | quote }}',
      '  hasMonitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}',
      '  kube: {{ .Capabilities.KubeVersion.Minor | quote }}',
      '  file: {{ (.Files.Get "files/data.yaml" | fromYaml).k }}',
      '  fileItems: {{ (.Files.Get "files/data.yaml" | fromYaml).items | toJson | quote }}',
      '  missing: "{{ .Values.nope }}"',
      '  list: {{ .Values.list | join "," }}',
      '  yaml: |',
      '    {{- toYaml .Values.nested | nindent 4 }}',
      '  sprig: {{ list 3 1 2 | sortAlpha | join "" }}-{{ "abc" | sha256sum | trunc 8 }}-{{ default "d" "" }}',
    ].join('\n'));
    writeFileSync(join(dir, 'templates', 'empty.yaml'), '{{- if false }}\nkind: Nothing\n{{- end }}\n');
    writeFileSync(join(dir, 'templates', 'NOTES.txt'), 'not a manifest');
    const r = render({ chart: dir, name: 'rel', namespace: 'ns', apiVersions: ['monitoring.coreos.com/v1'] });
    assert.equal(r.objects.length, 1, 'empty templates, partials and NOTES.txt produce no object');
    const cm = r.find('ConfigMap', 'rel-probe') as unknown as { metadata: { namespace: string }; data: Record<string, string> };
    assert.equal(cm.metadata.namespace, 'ns');
    assert.deepEqual(cm.data, {
      service: 'Helm',
      chart: 'probe-1.2.3-4.5',
      template: 'probe/templates/cm.yaml',
      include: 'HELLO',
      tpl: 'hello rel',
      hasApps: 'true',
      hasMonitoring: 'true',
      kube: '32',
      file: 'v',
      fileItems: '[1,2]',
      missing: '',
      list: 'a,b',
      yaml: 'x: 1\n',
      sprig: '123-ba7816bf-d',
    });
    assert.match(r.text, /^---\n# Source: probe\/templates\/cm.yaml\n/);
    // required and fail stop the render with their message
    writeFileSync(join(dir, 'templates', 'req.yaml'), 'x: {{ required "set .Values.must" .Values.must }}');
    assert.throws(() => render({ chart: dir }), /set \.Values\.must/);
    assert.equal(render({ chart: dir, values: { must: 'ok' } }).objects.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('values coalesce as Helm does: maps merge, lists and scalars are replaced, null deletes a default', () => {
  const defaults = { a: { b: 1, c: [1, 2], d: { e: 'x' } }, f: 'keep', g: 'drop' };
  assert.deepEqual(coalesce(defaults, { a: { c: [3], d: { z: true } }, g: null }), { a: { b: 1, c: [3], d: { e: 'x', z: true } }, f: 'keep' });
  assert.deepEqual(defaults.a.c, [1, 2], 'defaults are not mutated');
});
