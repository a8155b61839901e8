/**
 * Protobuf bodies (`application/vnd.kubernetes.protobuf`): well-formed envelopes of the kinds
 * typed `kubectl create` sends, then corrupted: flipped bytes, truncation, unknown fields,
 * wrong wire types, huge varints and timestamps outside what RFC 3339 can write.
 */
import type { Rng } from '../rng.js';
import { lengthDelimited as ld, varintField as vi, stringField as str } from '../../../src/apiserver/protobuf/encode.js';


const GV: Record<string, string> = { ConfigMap: 'v1', Secret: 'v1', Namespace: 'v1', ServiceAccount: 'v1', Service: 'v1', Deployment: 'apps/v1', Job: 'batch/v1', Role: 'rbac.authorization.k8s.io/v1', PodDisruptionBudget: 'policy/v1' };

function objectMeta(rng: Rng, name: string): Buffer {
  const parts = [str(1, name)];
  if (rng.chance(0.3)) parts.push(ld(11, Buffer.concat([str(1, 'app'), str(2, 'web')])));
  if (rng.chance(0.3)) parts.push(ld(8, vi(1, rng.pick([1_700_000_000n, 1n << 62n, -(1n << 62n), 253402300800n, -62135596801n, 0n]))));
  if (rng.chance(0.2)) parts.push(str(14, rng.pick(['example.com/f', ''])));
  if (rng.chance(0.1)) parts.push(vi(10, rng.pick([0n, 30n, (1n << 64n) - 1n])));
  return Buffer.concat(parts);
}

function message(rng: Rng, kind: string, name: string): Buffer {
  const meta = ld(1, objectMeta(rng, name));
  switch (kind) {
    case 'ConfigMap':
      return Buffer.concat([meta, ld(2, Buffer.concat([str(1, 'a'), str(2, 'b')])), ...(rng.chance(0.2) ? [ld(3, Buffer.concat([str(1, 'bin'), ld(2, rng.bytes(8))]))] : [])]);
    case 'Secret':
      return Buffer.concat([meta, ld(2, Buffer.concat([str(1, 'k'), ld(2, rng.bytes(6))])), str(3, 'Opaque')]);
    case 'Deployment':
      return Buffer.concat([meta, ld(2, Buffer.concat([vi(1, BigInt(rng.int(5))), ld(2, ld(1, Buffer.concat([str(1, 'app'), str(2, 'web')]))), ld(3, Buffer.concat([ld(1, ld(11, Buffer.concat([str(1, 'app'), str(2, 'web')]))), ld(2, ld(2, Buffer.concat([str(1, 'c'), str(2, 'nginx')])))]))]))]);
    default:
      return meta;
  }
}

/** A protobuf body for `kind` (a kind it does not know gets a ConfigMap: a mismatch to refuse). */
export function protobufBody(rng: Rng, kind: string, name: string): Buffer {
  const k = GV[kind] ? kind : rng.chance(0.5) ? 'ConfigMap' : kind;
  const typeMeta = ld(1, Buffer.concat([str(1, GV[k] ?? 'v1'), str(2, k)]));
  let raw = message(rng, k, name);
  if (rng.chance(0.1)) raw = Buffer.concat([raw, ld(60, Buffer.from('?'))]);
  if (rng.chance(0.1)) raw = Buffer.concat([raw, vi(1, 5n)]); // metadata as a varint: wrong wire type
  let body = Buffer.concat([Buffer.from('k8s\0', 'binary'), typeMeta, ld(2, raw)]);
  const corruption = rng.int(8);
  if (corruption === 0) body = body.subarray(0, rng.int(body.length));
  else if (corruption === 1) {
    body = Buffer.from(body);
    for (let i = 0; i < 1 + rng.int(4); i++) body[4 + rng.int(body.length - 4)] = rng.int(256);
  } else if (corruption === 2) body = Buffer.concat([body, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]);
  return body;
}
