import { TemplateResolver } from './resolver';

type Json = Record<string, any>;

export interface PolicyDocument {
  Version?: string;
  Statement: Json[];
}

/** Where a policy comes from, for messages: `<stack path>/<logical id>`. */
export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

/**
 * The policies of the synthesized estate, resolved to concrete ARNs:
 * - identity policies per role ARN (inline `Policies` and the `AWS::IAM::Policy` resources attached to the role),
 * - resource policies per resource ARN: trust policies (on the role), topic, queue, bucket (bucket and object ARNs), key
 *   policies, Lambda permissions (each `AWS::Lambda::Permission` as the statement Lambda adds for it), secret policies.
 * AWS-managed policies a role attaches are recorded by ARN but not evaluated.
 */
export class EstatePolicies {
  readonly identity = new Map<string, NamedPolicy[]>();
  readonly managedPolicies = new Map<string, string[]>();
  private readonly resourcePolicies = new Map<string, NamedPolicy[]>();
  /** Bucket ARN → policies (they also govern `<bucket ARN>/<key>`). */
  private readonly bucketPolicies = new Map<string, NamedPolicy[]>();

  constructor(readonly resolver: TemplateResolver) {
    for (const { owner, logicalId, resource } of resolver.all('AWS::IAM::Role')) {
      const roleArn = resolver.resolve(owner, { 'Fn::GetAtt': [logicalId, 'Arn'] }) as string;
      const properties = resource.Properties;
      const inline = (properties.Policies ?? []).map((policy: Json) => ({
        name: `${owner.path}/${logicalId}/${policy.PolicyName}`, document: resolver.resolve(owner, policy.PolicyDocument),
      }));
      this.add(this.identity, roleArn, ...inline);
      this.managedPolicies.set(roleArn, (resolver.resolve(owner, properties.ManagedPolicyArns ?? []) as string[]));
      this.add(this.resourcePolicies, roleArn, { name: `${owner.path}/${logicalId} (trust policy)`, document: resolver.resolve(owner, properties.AssumeRolePolicyDocument) });
    }
    for (const { owner, logicalId, resource } of resolver.all('AWS::IAM::Policy')) {
      const document = resolver.resolve(owner, resource.Properties.PolicyDocument);
      for (const role of resource.Properties.Roles ?? []) {
        const roleName = resolver.resolve(owner, role) as string;
        const roleArn = roleName.startsWith('arn:') ? roleName : `arn:aws:iam::${owner.account}:role/${roleName}`;
        this.add(this.identity, roleArn, { name: `${owner.path}/${logicalId}`, document });
      }
    }
    for (const { owner, logicalId, resource } of resolver.all('AWS::SNS::TopicPolicy')) {
      const document = resolver.resolve(owner, resource.Properties.PolicyDocument);
      for (const topic of resolver.resolve(owner, resource.Properties.Topics) as string[]) this.add(this.resourcePolicies, topic, { name: `${owner.path}/${logicalId}`, document });
    }
    for (const { owner, logicalId, resource } of resolver.all('AWS::SQS::QueuePolicy')) {
      const document = resolver.resolve(owner, resource.Properties.PolicyDocument);
      for (const url of resolver.resolve(owner, resource.Properties.Queues) as string[]) this.add(this.resourcePolicies, queueArnOfUrl(url), { name: `${owner.path}/${logicalId}`, document });
    }
    for (const { owner, logicalId, resource } of resolver.all('AWS::S3::BucketPolicy')) {
      const bucket = resolver.resolve(owner, resource.Properties.Bucket) as string;
      this.add(this.bucketPolicies, `arn:aws:s3:::${bucket}`, { name: `${owner.path}/${logicalId}`, document: resolver.resolve(owner, resource.Properties.PolicyDocument) });
    }
    for (const { owner, logicalId, resource } of resolver.all('AWS::KMS::Key')) {
      const keyArn = resolver.resolve(owner, { 'Fn::GetAtt': [logicalId, 'Arn'] }) as string;
      this.add(this.resourcePolicies, keyArn, { name: `${owner.path}/${logicalId} (key policy)`, document: resolver.resolve(owner, resource.Properties.KeyPolicy) });
    }
    for (const { owner, logicalId, resource } of resolver.all('AWS::SecretsManager::ResourcePolicy')) {
      const secret = resolver.resolve(owner, resource.Properties.SecretId) as string;
      this.add(this.resourcePolicies, secret, { name: `${owner.path}/${logicalId}`, document: resolver.resolve(owner, resource.Properties.ResourcePolicy) });
    }
    for (const { owner, logicalId, resource } of resolver.all('AWS::Lambda::Permission')) {
      const properties = resolver.resolve(owner, resource.Properties) as Json;
      const functionArn = properties.FunctionName.startsWith('arn:') ? properties.FunctionName : `arn:aws:lambda:${owner.region}:${owner.account}:function:${properties.FunctionName}`;
      this.add(this.resourcePolicies, functionArn, { name: `${owner.path}/${logicalId}`, document: lambdaPermissionPolicy(functionArn, properties) });
    }
  }

  identityPolicies(principalArn: string): NamedPolicy[] {
    return this.identity.get(principalArn) ?? [];
  }

  /** The resource policy governing `resourceArn` (objects fall under their bucket's), merged into one document. */
  resourcePolicy(resourceArn: string): NamedPolicy | undefined {
    const bucket = /^arn:aws:s3:::([^/]+)/.exec(resourceArn);
    const policies = bucket ? this.bucketPolicies.get(`arn:aws:s3:::${bucket[1]}`) : this.resourcePolicies.get(functionBaseArn(resourceArn));
    if (!policies || policies.length === 0) return undefined;
    return { name: policies.map((policy) => policy.name).join(' + '), document: { Version: '2012-10-17', Statement: policies.flatMap((policy) => policy.document.Statement) } };
  }

  private add(map: Map<string, NamedPolicy[]>, key: string, ...policies: NamedPolicy[]): void {
    map.set(key, [...(map.get(key) ?? []), ...policies]);
  }
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → `arn:aws:sqs:<region>:<account>:<name>`. */
export function queueArnOfUrl(url: string): string {
  const match = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\/(\d{12})\/(.+)$/.exec(url);
  if (!match) throw new Error(`not a queue URL: ${url}`);
  return `arn:aws:sqs:${match[1]}:${match[2]}:${match[3]}`;
}

/** A function ARN with a version or alias qualifier governed by the function's policy. */
function functionBaseArn(arn: string): string {
  const match = /^(arn:aws:lambda:[^:]+:\d{12}:function:[^:]+)(:.+)?$/.exec(arn);
  return match ? match[1] : arn;
}

/**
 * The statement Lambda adds to the function policy for an `AWS::Lambda::Permission` ("AddPermission",
 * https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html): the principal, the action, SourceArn as
 * `ArnLike AWS:SourceArn`, SourceAccount as `StringEquals AWS:SourceAccount`.
 */
function lambdaPermissionPolicy(functionArn: string, permission: Json): PolicyDocument {
  const principal = /^\d{12}$/.test(permission.Principal) ? { AWS: `arn:aws:iam::${permission.Principal}:root` }
    : permission.Principal.startsWith('arn:') ? { AWS: permission.Principal } : { Service: permission.Principal };
  const condition: Json = {};
  if (permission.SourceArn) condition.ArnLike = { 'AWS:SourceArn': permission.SourceArn };
  if (permission.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': permission.SourceAccount };
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: permission.Action, Resource: functionArn, ...(Object.keys(condition).length ? { Condition: condition } : {}) }],
  };
}
