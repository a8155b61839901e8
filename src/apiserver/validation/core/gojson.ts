/**
 * The error Go's `json.Unmarshal(b, &map[string]interface{}{})` returns for a document, as
 * ValidateSecret reports it for `.dockercfg`/`.dockerconfigjson` (encoding/json's scanner
 * messages: `invalid character 'x' looking for beginning of value`, `unexpected end of JSON
 * input`, and `json: cannot unmarshal array into Go value of type map[string]interface {}` for
 * a valid document that is not an object or null). Undefined when Go would accept it.
 * A small recursive scanner over the bytes (Go checks the whole document before decoding).
 */

class Syntax extends Error {}

/** encoding/json's quoteChar. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const s = JSON.stringify(String.fromCharCode(c));
  return `'${s.slice(1, -1)}'`;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

class Scanner {
  i = 0;
  constructor(private readonly b: Uint8Array) {}
  private fail(context: string): never {
    if (this.i >= this.b.length) throw new Syntax('unexpected end of JSON input');
    throw new Syntax(`invalid character ${quoteChar(this.b[this.i])} ${context}`);
  }
  private skip(): void {
    while (this.i < this.b.length && isSpace(this.b[this.i])) this.i++;
  }
  /** The next non-space byte (-1 at the end). */
  peek(): number {
    this.skip();
    return this.i < this.b.length ? this.b[this.i] : -1;
  }
  value(): void {
    const c = this.peek();
    if (c === 0x7b) this.object();
    else if (c === 0x5b) this.array();
    else if (c === 0x22) this.string();
    else if (c === 0x2d || isDigit(c)) this.number();
    else if (c === 0x74) this.literal('true');
    else if (c === 0x66) this.literal('false');
    else if (c === 0x6e) this.literal('null');
    else this.fail('looking for beginning of value');
  }
  private object(): void {
    this.i++;
    if (this.peek() === 0x7d) { this.i++; return; }
    for (;;) {
      if (this.peek() !== 0x22) this.fail('looking for beginning of object key string');
      this.string();
      if (this.peek() !== 0x3a) this.fail('after object key');
      this.i++;
      this.value();
      const c = this.peek();
      if (c === 0x2c) { this.i++; continue; }
      if (c === 0x7d) { this.i++; return; }
      this.fail('after object key:value pair');
    }
  }
  private array(): void {
    this.i++;
    if (this.peek() === 0x5d) { this.i++; return; }
    for (;;) {
      this.value();
      const c = this.peek();
      if (c === 0x2c) { this.i++; continue; }
      if (c === 0x5d) { this.i++; return; }
      this.fail('after array element');
    }
  }
  private string(): void {
    this.i++;
    for (;;) {
      if (this.i >= this.b.length) this.fail('');
      const c = this.b[this.i];
      if (c === 0x22) { this.i++; return; }
      if (c < 0x20) this.fail('in string literal');
      if (c === 0x5c) {
        this.i++;
        const e = this.i < this.b.length ? this.b[this.i] : -1;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            this.i++;
            if (this.i >= this.b.length || !isHex(this.b[this.i])) this.fail('in \\u hexadecimal character escape');
          }
        } else if (e < 0 || !'"\\/bfnrt'.includes(String.fromCharCode(e))) this.fail('in string escape code');
      }
      this.i++;
    }
  }
  private number(): void {
    if (this.b[this.i] === 0x2d) {
      this.i++;
      if (this.i >= this.b.length || !isDigit(this.b[this.i])) this.fail('in numeric literal');
    }
    if (this.b[this.i] === 0x30) this.i++;
    else while (this.i < this.b.length && isDigit(this.b[this.i])) this.i++;
    if (this.b[this.i] === 0x2e) {
      this.i++;
      if (this.i >= this.b.length || !isDigit(this.b[this.i])) this.fail('after decimal point in numeric literal');
      while (this.i < this.b.length && isDigit(this.b[this.i])) this.i++;
    }
    if (this.b[this.i] === 0x65 || this.b[this.i] === 0x45) {
      this.i++;
      if (this.b[this.i] === 0x2b || this.b[this.i] === 0x2d) this.i++;
      if (this.i >= this.b.length || !isDigit(this.b[this.i])) this.fail('in exponent of numeric literal');
      while (this.i < this.b.length && isDigit(this.b[this.i])) this.i++;
    }
  }
  private literal(word: string): void {
    for (let k = 0; k < word.length; k++, this.i++) {
      if (this.i >= this.b.length || this.b[this.i] !== word.charCodeAt(k)) {
        if (k === 0) this.fail('looking for beginning of value');
        this.fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
      }
    }
  }
}

const KIND: Record<number, string> = { 0x5b: 'array', 0x22: 'string', 0x74: 'bool', 0x66: 'bool' };

export function goJsonMapError(b: Uint8Array): string | undefined {
  const s = new Scanner(b);
  let first: number;
  try {
    first = s.peek();
    s.value();
    if (s.peek() !== -1) {
      const c = b[s.i];
      return `invalid character ${quoteChar(c)} after top-level value`;
    }
  } catch (e) {
    if (e instanceof Syntax) return e.message;
    throw e;
  }
  if (first === 0x7b || first === 0x6e) return undefined;
  return `json: cannot unmarshal ${KIND[first] ?? 'number'} into Go value of type map[string]interface {}`;
}
