/**
 * The OpenAPI v3 schema subset that CustomResourceDefinitions accept (JSONSchemaProps),
 * and a type-level mapping from such a schema to the TypeScript type of the data it
 * describes, so a custom resource is declared once and both its TS type and its CRD come
 * from the same literal (declare the schema inline or `as const`).
 */

export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: { readonly [name: string]: JSONSchemaProps };
  required?: readonly string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps | boolean;
  enum?: readonly unknown[];
  format?: string;
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  oneOf?: readonly JSONSchemaProps[];
  anyOf?: readonly JSONSchemaProps[];
  allOf?: readonly JSONSchemaProps[];
  not?: JSONSchemaProps;
  example?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ReadonlyArray<{ rule: string; message?: string; messageExpression?: string; reason?: string; fieldPath?: string }>;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type RequiredKeys<S> = S extends { required: readonly (infer R)[] } ? R : never;

type PropsToObject<P, R> = Simplify<
  { -readonly [K in keyof P as K extends R ? K : never]: FromSchema<P[K]> } & {
    -readonly [K in keyof P as K extends R ? never : K]?: FromSchema<P[K]>;
  }
>;

type Nullable<S, T> = S extends { nullable: true } ? T | null : T;

/** The TypeScript type of data valid against schema `S`. */
export type FromSchema<S> = Nullable<
  S,
  S extends { 'x-kubernetes-int-or-string': true }
    ? number | string
    : S extends { enum: readonly (infer E)[] }
      ? E
      : S extends { type: 'string' }
        ? string
        : S extends { type: 'integer' | 'number' }
          ? number
          : S extends { type: 'boolean' }
            ? boolean
            : S extends { type: 'array'; items: infer I }
              ? FromSchema<I>[]
              : S extends { type: 'object'; properties: infer P }
                ? PropsToObject<P, RequiredKeys<S>> & (S extends { 'x-kubernetes-preserve-unknown-fields': true } ? Record<string, unknown> : unknown)
                : S extends { type: 'object'; additionalProperties: infer A }
                  ? A extends JSONSchemaProps
                    ? Record<string, FromSchema<A>>
                    : Record<string, unknown>
                  : S extends { type: 'object' }
                    ? Record<string, unknown>
                    : unknown
>;
