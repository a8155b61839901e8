// The RAM policy language and its evaluation (ram-policy.ts), and how a principal's attached
// policies and an assumed role's session policy combine (ram.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, matchPattern, parsePolicy, type PolicyDocument } from './ram-policy.js';
import { authorize } from './ram.js';
import { defaultRam, type RamState } from './state.js';

const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '1', Statement });
const TABLE = 'acs:vpc:cn-hangzhou:1234567890123456:routetable/vtb-1';

describe('RAM policy evaluation', () => {
  it('an explicit Deny wins over any Allow, in the same policy or another', () => {
    const allowAll = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    const denyCreate = doc({ Effect: 'Deny', Action: 'vpc:CreateRouteEntry', Resource: '*' });
    assert.equal(evaluate([allowAll, denyCreate], 'vpc:CreateRouteEntry', TABLE), 'ExplicitDeny');
    assert.equal(evaluate([denyCreate, allowAll], 'vpc:CreateRouteEntry', TABLE), 'ExplicitDeny');
    assert.equal(evaluate([doc({ Effect: 'Allow', Action: 'vpc:*', Resource: '*' }, { Effect: 'Deny', Action: 'vpc:Create*', Resource: '*' })], 'vpc:CreateRouteEntry', TABLE), 'ExplicitDeny');
    assert.equal(evaluate([allowAll, denyCreate], 'vpc:DeleteRouteEntry', TABLE), 'Allow');
  });

  it('nothing matching is an implicit deny; no policies at all too', () => {
    assert.equal(evaluate([doc({ Effect: 'Allow', Action: 'ecs:DescribeInstances', Resource: '*' })], 'vpc:CreateRouteEntry', TABLE), 'ImplicitDeny');
    assert.equal(evaluate([], 'vpc:CreateRouteEntry', TABLE), 'ImplicitDeny');
  });

  it('wildcards in actions: service-wide, prefixes, everything', () => {
    const allow = (Action: string | string[]) => evaluate([doc({ Effect: 'Allow', Action, Resource: '*' })], 'ecs:DescribeInstances', '*');
    assert.equal(allow('ecs:*'), 'Allow');
    assert.equal(allow('ecs:Describe*'), 'Allow');
    assert.equal(allow('*'), 'Allow');
    assert.equal(allow(['vpc:*', 'ecs:*Instances']), 'Allow');
    assert.equal(allow('ecs:Create*'), 'ImplicitDeny');
    assert.equal(allow('vpc:*'), 'ImplicitDeny');
    assert.equal(allow('ecs:DescribeInstance'), 'ImplicitDeny', 'no implicit prefix match');
  });

  it('action names match without regard to case, resources as written', () => {
    assert.equal(evaluate([doc({ Effect: 'Deny', Action: 'VPC:createrouteentry', Resource: '*' })], 'vpc:CreateRouteEntry', TABLE), 'ExplicitDeny');
    assert.equal(evaluate([doc({ Effect: 'Allow', Action: 'Ecs:describe*', Resource: '*' })], 'ecs:DescribeInstances', '*'), 'Allow');
    assert.equal(evaluate([doc({ Effect: 'Allow', Action: '*', Resource: 'acs:vpc:*:*:routetable/VTB-1' })], 'vpc:CreateRouteEntry', TABLE), 'ImplicitDeny');
  });

  it('wildcards in resources: any region and account, any id, a prefix', () => {
    const on = (Resource: string | string[]) => evaluate([doc({ Effect: 'Allow', Action: 'vpc:*', Resource })], 'vpc:CreateRouteEntry', TABLE);
    assert.equal(on('acs:vpc:*:*:routetable/vtb-1'), 'Allow');
    assert.equal(on('acs:vpc:*:*:routetable/*'), 'Allow');
    assert.equal(on('acs:vpc:cn-hangzhou:*:routetable/vtb-*'), 'Allow');
    assert.equal(on(['acs:vpc:*:*:vpc/*', 'acs:vpc:*:*:routetable/vtb-1']), 'Allow');
    assert.equal(on('acs:vpc:cn-beijing:*:routetable/*'), 'ImplicitDeny');
    assert.equal(on('acs:vpc:*:*:routetable/vtb-2'), 'ImplicitDeny');
    assert.equal(on('acs:vpc:*:*:routetable/vtb-1.'), 'ImplicitDeny', 'dots are literal');
    // the role ARN of sts:AssumeRole has an empty region: `*` matches it
    assert.equal(evaluate([doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'acs:ram:*:*:role/ack-*' })], 'sts:AssumeRole', 'acs:ram::1234567890123456:role/ack-route'), 'Allow');
    assert.ok(matchPattern('a*c', 'abbbc') && !matchPattern('a*c', 'abd'));
  });

  it('NotAction and NotResource: everything but the listed', () => {
    const allowButVpc = doc({ Effect: 'Allow', NotAction: 'vpc:*', Resource: '*' });
    assert.equal(evaluate([allowButVpc], 'ecs:DescribeInstances', '*'), 'Allow');
    assert.equal(evaluate([allowButVpc], 'vpc:CreateRouteEntry', TABLE), 'ImplicitDeny');
    const denyElsewhere = doc({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'vpc:*', NotResource: 'acs:vpc:*:*:routetable/vtb-1' });
    assert.equal(evaluate([denyElsewhere], 'vpc:CreateRouteEntry', TABLE), 'Allow');
    assert.equal(evaluate([denyElsewhere], 'vpc:CreateRouteEntry', TABLE.replace('vtb-1', 'vtb-9')), 'ExplicitDeny');
  });
});

describe('RAM policy documents', () => {
  it('accepts the documented forms: a string or a list, a JSON string document, a single statement', () => {
    const { document, problems } = parsePolicy('{"Version":"1","Statement":{"Effect":"Deny","Action":"vpc:CreateRouteEntry","Resource":"*"}}');
    assert.deepEqual(problems, []);
    assert.deepEqual(document, doc({ Effect: 'Deny', Action: 'vpc:CreateRouteEntry', Resource: '*' }));
    assert.deepEqual(parsePolicy(doc({ Effect: 'Allow', Action: ['ecs:Describe*', 'vpc:*'], Resource: ['acs:vpc:*:*:routetable/*'] })).problems, []);
  });

  it('refuses malformed documents, naming what is wrong', () => {
    const problems = (d: unknown) => parsePolicy(d).problems.join('\n');
    assert.match(problems('{not json'), /not valid JSON/);
    assert.match(problems([]), /must be a JSON object/);
    assert.match(problems({ Version: '2', Statement: [] }), /"Version" must be "1"[\s\S]*at least one statement/);
    assert.match(problems({ Version: '1' }), /"Statement" must be a list/);
    assert.match(problems(doc({ Effect: 'allow' as never, Action: '*', Resource: '*' })), /Effect must be "Allow" or "Deny", got "allow"/);
    assert.match(problems(doc({ Effect: 'Allow', Resource: '*' })), /exactly one of Action or NotAction/);
    assert.match(problems(doc({ Effect: 'Allow', Action: '*', NotAction: 'vpc:*', Resource: '*' })), /exactly one of Action or NotAction/);
    assert.match(problems(doc({ Effect: 'Allow', Action: '*' })), /exactly one of Resource or NotResource/);
    assert.match(problems(doc({ Effect: 'Allow', Action: 'CreateRouteEntry', Resource: '*' })), /malformed action\(s\) "CreateRouteEntry"/);
    assert.match(problems(doc({ Effect: 'Allow', Action: [], Resource: '*' })), /Action must be a string or a non-empty list/);
    assert.match(problems(doc({ Effect: 'Allow', Action: '*', Resource: 'routetable/vtb-1' })), /malformed resource\(s\) "routetable\/vtb-1"/);
    assert.match(problems({ ...doc({ Effect: 'Allow', Action: '*', Resource: '*' }), Extra: 1 }), /unknown top-level element\(s\) Extra/);
    assert.match(problems(doc({ Effect: 'Allow', Action: '*', Resource: '*', Actions: 'x' } as never)), /unknown element\(s\) Actions/);
  });

  it('refuses Condition and Principal clearly instead of ignoring them', () => {
    const cond = parsePolicy(doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } } as never)).problems.join();
    assert.match(cond, /Condition is not modelled by the emulator/);
    assert.match(parsePolicy(doc({ Effect: 'Allow', Action: '*', Resource: '*', Principal: { RAM: ['x'] } } as never)).problems.join(), /Principal belongs to trust policies/);
  });
});

describe('RAM principals', () => {
  const ram = (over: Partial<RamState> = {}): RamState => ({ ...defaultRam(), ...over });
  const policy = (policyName: string, document: PolicyDocument) => ({ policyName, description: '', document, createDate: '', updateDate: '' });
  const denyRoutes = policy('deny-routes', doc({ Effect: 'Deny', Action: 'vpc:CreateRouteEntry', Resource: '*' }));
  const readOnly = policy('read-only', doc({ Effect: 'Allow', Action: ['vpc:Describe*', 'ecs:Describe*'], Resource: '*' }));

  it('a principal without policies is unrestricted (the emulator\'s default); with policies, RAM evaluation applies', () => {
    const r = ram({ policies: [denyRoutes, readOnly], attachments: [{ policyName: 'read-only', principalType: 'User', principalName: 'kubeloop' }] });
    assert.equal(authorize(r, { type: 'User', name: 'other' }, 'vpc:CreateRouteEntry', TABLE).decision, 'Allow');
    assert.equal(authorize(r, { type: 'User', name: 'kubeloop' }, 'vpc:DescribeRouteEntryList', TABLE).decision, 'Allow');
    assert.equal(authorize(r, { type: 'User', name: 'kubeloop' }, 'vpc:CreateRouteEntry', TABLE).decision, 'ImplicitDeny');
    assert.equal(authorize(r, undefined, 'vpc:CreateRouteEntry', TABLE).decision, 'Allow', 'anonymous calls (RRSA AssumeRoleWithOIDC) are not RAM-checked');
  });

  it('policies attach to users and roles separately; role names match without regard to case', () => {
    const r = ram({ policies: [denyRoutes], attachments: [{ policyName: 'deny-routes', principalType: 'Role', principalName: 'KubernetesWorkerRole' }] });
    assert.equal(authorize(r, { type: 'Role', name: 'kubernetesworkerrole', session: 's' }, 'vpc:CreateRouteEntry', TABLE).decision, 'ExplicitDeny');
    assert.equal(authorize(r, { type: 'User', name: 'KubernetesWorkerRole' }, 'vpc:CreateRouteEntry', TABLE).decision, 'Allow');
  });

  it('an assumed role\'s session policy narrows what the role may do, never widens it', () => {
    const r = ram({ policies: [readOnly], attachments: [{ policyName: 'read-only', principalType: 'Role', principalName: 'ops' }] });
    const session = doc({ Effect: 'Allow', Action: 'vpc:*', Resource: '*' });
    const as = { type: 'Role' as const, name: 'ops', session: 's', sessionPolicy: session };
    assert.equal(authorize(r, as, 'vpc:DescribeVpcs', '*').decision, 'Allow');
    assert.deepEqual(authorize(r, as, 'ecs:DescribeInstances', '*'), { decision: 'ImplicitDeny', policyType: 'SessionPolicy' });
    assert.deepEqual(authorize(r, as, 'vpc:CreateRouteEntry', TABLE), { decision: 'ImplicitDeny', policyType: 'AccountLevelIdentityBasedPolicy' });
  });
});
