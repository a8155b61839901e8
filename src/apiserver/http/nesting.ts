/**
 * Shape limits of decoded request bodies, checked before anything else looks at them.
 *
 * Go's JSON and YAML decoders refuse documents nested deeper than 10 000 levels ("exceeded max
 * depth"), which kube-apiserver answers with 400. This server walks objects recursively in many
 * places (validation, pruning, patches, field sets, JSON.stringify itself overflows V8's stack
 * at about 4 000 levels), so it refuses nesting past {@link MAX_NESTING} levels: far beyond any
 * real object (a Deployment is about 12 deep) and well inside the stack every path needs.
 *
 * The walk is iterative and also bounds the number of values: YAML aliases turn a small
 * document into a shared graph (billion laughs) or a cycle (`&a [*a]`), whose expansion would
 * otherwise exhaust memory or recurse forever. A tree decoded from `bytes` bytes has at most
 * `bytes` values, so more than that means aliases are being expanded. Numbers must be finite
 * (`1e400` or YAML's `.inf` have no JSON form; Go's decoder refuses them too).
 */
import { newBadRequest } from '../../api/index.js';

/** Deepest nesting of objects and arrays accepted in a request body. */
const MAX_NESTING = 1000;

/**
 * Throws 400 BadRequest when `value` nests deeper than {@link MAX_NESTING} levels or holds more
 * than `maxValues` values (counting a shared or cyclic value once per reference).
 */
export function checkNesting(value: unknown, maxValues: number, what = 'request body'): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw newBadRequest(`error decoding ${what}: ${value} is not a finite number`);
  if (value === null || typeof value !== 'object') return;
  top = 0;
  high = 0;
  try {
    push(value, 1);
    let seen = 0;
    while (top > 0) {
      top--;
      const v = STACK_VALUES[top]!;
      const depth = STACK_DEPTHS[top];
      if (depth > MAX_NESTING) throw newBadRequest(`error decoding ${what}: exceeded max depth of ${MAX_NESTING}`);
      if (Array.isArray(v)) {
        seen += v.length;
        if (seen > maxValues) throw tooMany(what);
        for (let i = 0; i < v.length; i++) visit(v[i], depth, what);
      } else {
        // for-in: an object's own values without an array of them (counted first, then visited)
        for (const k in v) if (Object.hasOwn(v, k)) seen++;
        if (seen > maxValues) throw tooMany(what);
        for (const k in v) if (Object.hasOwn(v, k)) visit((v as Record<string, unknown>)[k], depth, what);
      }
    }
  } finally {
    // the body's objects are not kept past the check
    for (let i = 0; i < high; i++) STACK_VALUES[i] = undefined;
  }
}

/** The walk's top of stack and the highest it reached (module state: checks are synchronous, and no closure is made per check). */
let top = 0;
let high = 0;

function push(v: object, depth: number): void {
  STACK_VALUES[top] = v;
  STACK_DEPTHS[top] = depth;
  if (++top > high) high = top;
}

/**
 * The walk's stack (values and their depths), shared by every check (they are synchronous)
 * and never shrunk, so checking a body allocates nothing per value.
 */
const STACK_VALUES: (object | undefined)[] = [];
const STACK_DEPTHS: number[] = [];

function tooMany(what: string): Error {
  return newBadRequest(`error decoding ${what}: document expands to more values than its size allows (recursive or excessive aliases)`);
}

/** A child of a value at `depth`: objects and arrays go on the stack, numbers must be finite. */
function visit(c: unknown, depth: number, what: string): void {
  if (c !== null && typeof c === 'object') push(c, depth + 1);
  else if (typeof c === 'number' && !Number.isFinite(c)) throw newBadRequest(`error decoding ${what}: ${c} is not a finite number`);
}
