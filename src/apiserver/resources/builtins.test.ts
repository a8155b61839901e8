// The built-in types are read from the paths of the v2 document (swagger.json): they must be
// what each group-version's own v3 document says (upstream generates both from one route table),
// and a server reads them from the operations derived from it (schema/openapi-derived.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinOpenApiDoc } from '../openapi/index.js';
import { loadBuiltinSwagger } from '../schema/index.js';
import { BUILTIN_RESOURCES, typesFromOpenApi } from './builtins.js';

test('the built-in types from swagger.json equal those from each group-version\'s v3 document', () => {
  // `fields` is a function (field selectors): compared by its field names
  const plain = (ts: ReturnType<typeof typesFromOpenApi>) => ts.map(({ fields: _fields, ...t }) => t);
  for (const [gv, resources] of Object.entries(BUILTIN_RESOURCES)) {
    const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
    const v3 = builtinOpenApiDoc(group, version);
    assert.ok(v3, `a v3 document for ${gv}`);
    const fromV3 = typesFromOpenApi(group, version, resources, (v3.doc.paths ?? {}) as Record<string, Record<string, unknown>>);
    const fromV2 = typesFromOpenApi(group, version, resources);
    assert.deepEqual(plain(fromV2), plain(fromV3), gv);
    assert.deepEqual(plain(fromV2), plain(typesFromOpenApi(group, version, resources, loadBuiltinSwagger().paths ?? {})), `${gv}: the derived operations give what the full paths give`);
    assert.equal(fromV2.length, resources.length, gv);
  }
});
