// The webhook example of docs/framework.md, verbatim (e2e/framework/webhooks.test.ts runs it).
import {
  AdmissionDenied, Conversion, Webhook, defineCustomResource,
  type Defaulter, type ObjectOf, type SpokeConversion, type Validator,
} from 'kubeloop';

const size = { type: 'string', enum: ['S', 'M', 'L'] } as const;
export const PizzaV2 = defineCustomResource({
  group: 'demo.kubeloop.io', version: 'v2', kind: 'Pizza', plural: 'pizzas',
  schema: { type: 'object', properties: { spec: { type: 'object', properties: { size, toppings: { type: 'array', items: { type: 'string' } } } } } },
});
export const PizzaV1 = defineCustomResource({
  group: 'demo.kubeloop.io', version: 'v1', kind: 'Pizza', plural: 'pizzas', storage: false,
  schema: { type: 'object', properties: { spec: { type: 'object', properties: { size, toppings: { type: 'string' } } } } },
});
export type PizzaV2 = ObjectOf<typeof PizzaV2>;
export type PizzaV1 = ObjectOf<typeof PizzaV1>;

@Webhook({ for: PizzaV2 })
export class PizzaWebhook implements Defaulter<PizzaV2>, Validator<PizzaV2> {
  default(p: PizzaV2) {
    p.spec = { size: 'M', ...p.spec };
  }
  validateCreate(p: PizzaV2) {
    const toppings = p.spec?.toppings ?? [];
    if (toppings.length > 5) throw new Error('at most 5 toppings');
    return toppings.includes('pineapple') ? ['pineapple: are you sure?'] : [];
  }
  validateUpdate(old: PizzaV2, p: PizzaV2) {
    if (old.spec?.size !== p.spec?.size) throw new AdmissionDenied('the size of a pizza cannot change', { warnings: ['order another one'] });
    return this.validateCreate(p);
  }
}

// v2 is the hub; v1 kept its toppings in one comma-separated string.
@Conversion({ hub: PizzaV2, spoke: PizzaV1 })
export class PizzaV1Conversion implements SpokeConversion<PizzaV1, PizzaV2> {
  toHub(p: PizzaV1): PizzaV2 {
    return { ...p, spec: { size: p.spec?.size, toppings: p.spec?.toppings ? p.spec.toppings.split(',') : [] } };
  }
  fromHub(p: PizzaV2): PizzaV1 {
    return { ...p, spec: { size: p.spec?.size, toppings: p.spec?.toppings?.join(',') } };
  }
}

// manager.register(PizzaWebhook).register(PizzaV1Conversion); `kubeloop generate` reads this export
export const webhooks = [PizzaWebhook, PizzaV1Conversion];
