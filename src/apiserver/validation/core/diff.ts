/**
 * apiequality.Semantic.DeepEqual over JSON (k8s.io/apimachinery/third_party/forked/golang/
 * reflect: nil and empty slices and maps are equal; in JSON an absent field is also Go's zero
 * value, so `false`, `0` and `""` equal absence), and an approximation of the go-cmp diff
 * (`cmp.Diff(old, new)`) upstream appends to "pod updates may not change fields ...": the
 * changed fields with Go field names, `-` for the old value and `+` for the new. go-cmp's exact
 * layout is deliberately unstable (it randomises spacing), so clients cannot rely on it either.
 */
import { quantityNanos } from '../../schema/index.js';

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') {
    for (const k in v as Record<string, unknown>) if (!isZero((v as Record<string, unknown>)[k])) return false;
    return true;
  }
  return false;
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (typeof a !== typeof b) {
    // a Quantity may be written as a number or a string (`1` and `"1"`, `"1000m"`)
    return (typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string') && sameQuantity(a, b);
  }
  if (typeof a === 'string') return sameQuantity(a, b as string);
  if (typeof a !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!semanticEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k in ao) if (!semanticEqual(ao[k], bo[k])) return false;
  for (const k in bo) if (!(k in ao) && !isZero(bo[k])) return false;
  return true;
}

/** Quantities compare by value (Semantic.DeepEqual's Quantity rule); other strings never get here equal. */
function sameQuantity(a: string | number, b: string | number): boolean {
  const x = quantityNanos(String(a));
  const y = quantityNanos(String(b));
  return x !== undefined && y !== undefined && x === y && /^[0-9.+-]/.test(String(a)) && /^[0-9.+-]/.test(String(b));
}

const GO_NAMES: Record<string, string> = {
  dnsPolicy: 'DNSPolicy', dnsConfig: 'DNSConfig', hostPID: 'HostPID', hostIPC: 'HostIPC', tty: 'TTY', hostIP: 'HostIP', httpGet: 'HTTPGet',
  tcpSocket: 'TCPSocket', grpc: 'GRPC', os: 'OS', nodeName: 'NodeName', podIP: 'PodIP', hostUsers: 'HostUsers',
};
const goName = (k: string) => GO_NAMES[k] ?? k[0].toUpperCase() + k.slice(1);
const goText = (v: unknown) => (v === undefined || v === null ? 'nil' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v));

/** `  core.PodSpec{ ... - Field: old, + Field: new ... }` for the fields that differ. */
export function goSpecDiff(typeName: string, before: Record<string, unknown>, after: Record<string, unknown>): string {
  const lines = [`  ${typeName}{`];
  diffFields(lines, '\t', before, after);
  lines.push('  }');
  return lines.join('\n');
}

function diffFields(lines: string[], indent: string, before: Record<string, unknown>, after: Record<string, unknown>): void {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  let same = 0;
  const flush = () => {
    if (same) lines.push(`  ${indent}... // ${same} identical field${same > 1 ? 's' : ''}`);
    same = 0;
  };
  for (const k of keys) {
    const a = before[k];
    const b = after[k];
    if (semanticEqual(a, b)) {
      same++;
      continue;
    }
    flush();
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x) => x && typeof x === 'object')) {
      lines.push(`  ${indent}${goName(k)}: []{`);
      a.forEach((x, i) => {
        if (semanticEqual(x, b[i])) lines.push(`  ${indent}\t{...},`);
        else {
          lines.push(`  ${indent}\t{`);
          diffFields(lines, `${indent}\t\t`, x as Record<string, unknown>, b[i] as Record<string, unknown>);
          lines.push(`  ${indent}\t},`);
        }
      });
      lines.push(`  ${indent}},`);
    } else if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      lines.push(`  ${indent}${goName(k)}: {`);
      diffFields(lines, `${indent}\t`, a as Record<string, unknown>, b as Record<string, unknown>);
      lines.push(`  ${indent}},`);
    } else {
      lines.push(`- ${indent}${goName(k)}: ${goText(a)},`);
      lines.push(`+ ${indent}${goName(k)}: ${goText(b)},`);
    }
  }
  flush();
}
