import type { EstateTemplate } from '../../support/estate-templates';

type Json = Record<string, any>;

/**
 * Resolves CloudFormation intrinsics of the synthesized templates to the concrete values CloudFormation would give them
 * in the test accounts: pseudo parameters, `Ref`/`Fn::GetAtt` of resources (physical names where the template sets
 * them, a deterministic stand-in otherwise), `Fn::Join`/`Fn::Select`/`Fn::Split`/`Fn::Sub`, `Fn::ImportValue` across
 * stacks and CDK's cross-region references (SSM export writers and readers). A value it cannot resolve throws, naming
 * the stack and the expression, so a policy is never evaluated against a guess.
 */
export class TemplateResolver {
  private readonly byPath = new Map<string, EstateTemplate>();

  constructor(readonly templates: readonly EstateTemplate[]) {
    for (const template of templates) this.byPath.set(template.path, template);
  }

  template(path: string): EstateTemplate {
    const found = this.byPath.get(path);
    if (!found) throw new Error(`no template ${path}`);
    return found;
  }

  resources(owner: EstateTemplate): Array<[string, Json]> {
    return Object.entries(owner.template.Resources ?? {}) as Array<[string, Json]>;
  }

  /** Every resource of `type` in every template, with its template. */
  all(type: string): Array<{ owner: EstateTemplate; logicalId: string; resource: Json }> {
    return this.templates.flatMap((owner) => this.resources(owner)
      .filter(([, resource]) => resource.Type === type)
      .map(([logicalId, resource]) => ({ owner, logicalId, resource })));
  }

  resolve(owner: EstateTemplate, value: unknown): any {
    if (Array.isArray(value)) return value.map((item) => this.resolve(owner, item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const object = value as Json;
    const keys = Object.keys(object);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return this.intrinsic(owner, keys[0], object[keys[0]]);
    return Object.fromEntries(Object.entries(object)
      .map(([key, item]) => [key, this.resolve(owner, item)] as const)
      .filter(([, item]) => item !== NO_VALUE));
  }

  private intrinsic(owner: EstateTemplate, fn: string, argument: any): any {
    switch (fn) {
      case 'Ref': return this.ref(owner, argument);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split(/\.(.+)/);
        return this.getAtt(owner, logicalId, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = argument;
        return (this.resolve(owner, parts) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument;
        return (this.resolve(owner, list) as unknown[])[Number(this.resolve(owner, index))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument;
        return String(this.resolve(owner, source)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (variables[name] !== undefined) return String(this.resolve(owner, variables[name]));
          const [logicalId, attribute] = name.split(/\.(.+)/);
          return String(attribute ? this.getAtt(owner, logicalId, attribute) : this.ref(owner, logicalId));
        });
      }
      case 'Fn::ImportValue': return this.importValue(String(this.resolve(owner, argument)));
      default: throw new Error(`${owner.path}: cannot resolve ${fn} ${JSON.stringify(argument)}`);
    }
  }

  private ref(owner: EstateTemplate, name: string): any {
    switch (name) {
      case 'AWS::Partition': return 'aws';
      case 'AWS::Region': return owner.region;
      case 'AWS::AccountId': return owner.account;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return owner.stackName;
      case 'AWS::NoValue': return NO_VALUE;
      default: break;
    }
    const parameter = owner.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new Error(`${owner.path}: parameter ${name} has no default`);
      return parameter.Default;
    }
    const resource = owner.template.Resources?.[name];
    if (!resource) throw new Error(`${owner.path}: Ref to unknown ${name}`);
    const properties = resource.Properties ?? {};
    const physical = (property: string, fallback = `${owner.stackName}-${name}`) => (properties[property] !== undefined ? this.resolve(owner, properties[property]) : fallback);
    const { account, region } = owner;
    switch (resource.Type) {
      case 'AWS::SNS::Topic': return `arn:aws:sns:${region}:${account}:${physical('TopicName')}`;
      case 'AWS::SQS::Queue': return `https://sqs.${region}.amazonaws.com/${account}/${physical('QueueName')}`;
      case 'AWS::KMS::Key': return keyId(owner, name);
      case 'AWS::KMS::Alias': return physical('AliasName');
      case 'AWS::Lambda::Function': return physical('FunctionName');
      case 'AWS::IAM::Role': return physical('RoleName');
      case 'AWS::IAM::ManagedPolicy': return `arn:aws:iam::${account}:policy/${physical('ManagedPolicyName')}`;
      case 'AWS::S3::Bucket': return String(physical('BucketName')).toLowerCase();
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': return physical('TableName');
      case 'AWS::Events::Rule': return physical('Name');
      case 'AWS::Scheduler::Schedule': return physical('Name');
      case 'AWS::RDS::DBInstance': return physical('DBInstanceIdentifier');
      case 'AWS::RDS::DBParameterGroup': return physical('DBParameterGroupName');
      case 'AWS::RDS::DBSubnetGroup': return physical('DBSubnetGroupName');
      case 'AWS::SecretsManager::Secret': return `arn:aws:secretsmanager:${region}:${account}:secret:${physical('Name')}-AbCdEf`;
      case 'AWS::StepFunctions::StateMachine': return `arn:aws:states:${region}:${account}:stateMachine:${physical('StateMachineName')}`;
      case 'AWS::Logs::LogGroup': return physical('LogGroupName');
      case 'AWS::CloudWatch::Alarm': return physical('AlarmName');
      case 'AWS::CloudWatch::CompositeAlarm': return physical('AlarmName');
      case 'AWS::CodeBuild::Project': return physical('Name');
      case 'AWS::CodePipeline::Pipeline': return physical('Name');
      case 'AWS::Route53::HostedZone': return `Z${stableId(owner, name).toUpperCase()}`;
      case 'AWS::Route53::HealthCheck': return `hc-${stableId(owner, name)}`;
      case 'AWS::EC2::SecurityGroup': return `sg-${stableId(owner, name)}`;
      default: return `${resource.Type.split('::')[2]?.toLowerCase()}-${stableId(owner, name)}`;
    }
  }

  private getAtt(owner: EstateTemplate, logicalId: string, attribute: string): any {
    const resource = owner.template.Resources?.[logicalId];
    if (!resource) throw new Error(`${owner.path}: GetAtt of unknown ${logicalId}`);
    const { account, region } = owner;
    if (resource.Type === 'Custom::CrossRegionExportReader') return this.crossRegionExport(attribute);
    const ref = () => this.ref(owner, logicalId);
    const arns: Record<string, () => string> = {
      'AWS::IAM::Role': () => `arn:aws:iam::${account}:role/${ref()}`,
      'AWS::Lambda::Function': () => `arn:aws:lambda:${region}:${account}:function:${ref()}`,
      'AWS::SQS::Queue': () => `arn:aws:sqs:${region}:${account}:${String(ref()).split('/').pop()}`,
      'AWS::KMS::Key': () => `arn:aws:kms:${region}:${account}:key/${ref()}`,
      'AWS::S3::Bucket': () => `arn:aws:s3:::${ref()}`,
      'AWS::DynamoDB::Table': () => `arn:aws:dynamodb:${region}:${account}:table/${ref()}`,
      'AWS::DynamoDB::GlobalTable': () => `arn:aws:dynamodb:${region}:${account}:table/${ref()}`,
      'AWS::Events::Rule': () => `arn:aws:events:${region}:${account}:rule/${ref()}`,
      'AWS::Scheduler::Schedule': () => `arn:aws:scheduler:${region}:${account}:schedule/default/${ref()}`,
      'AWS::Logs::LogGroup': () => `arn:aws:logs:${region}:${account}:log-group:${ref()}:*`,
      'AWS::CloudWatch::Alarm': () => `arn:aws:cloudwatch:${region}:${account}:alarm:${ref()}`,
      'AWS::CloudWatch::CompositeAlarm': () => `arn:aws:cloudwatch:${region}:${account}:alarm:${ref()}`,
      'AWS::StepFunctions::StateMachine': () => ref(),
      'AWS::CodeBuild::Project': () => `arn:aws:codebuild:${region}:${account}:project/${ref()}`,
      'AWS::RDS::DBInstance': () => `arn:aws:rds:${region}:${account}:db:${ref()}`,
      'AWS::SecretsManager::Secret': () => ref(),
    };
    if (attribute === 'Arn' && arns[resource.Type]) return arns[resource.Type]();
    switch (`${resource.Type}.${attribute}`) {
      case 'AWS::SNS::Topic.TopicArn': return ref();
      case 'AWS::SNS::Topic.TopicName': return String(ref()).split(':').pop();
      case 'AWS::SQS::Queue.QueueName': return String(ref()).split('/').pop();
      case 'AWS::SQS::Queue.QueueUrl': return ref();
      case 'AWS::KMS::Key.KeyId': return ref();
      case 'AWS::IAM::Role.RoleId': return `AROA${stableId(owner, logicalId).toUpperCase()}`;
      case 'AWS::RDS::DBInstance.Endpoint.Address': return `${ref()}.abcdefghijkl.${region}.rds.amazonaws.com`;
      case 'AWS::RDS::DBInstance.Endpoint.Port': return '5432';
      case 'AWS::RDS::DBInstance.DBInstanceArn': return arns['AWS::RDS::DBInstance']();
      case 'AWS::EC2::SecurityGroup.GroupId': return ref();
      case 'AWS::Route53::HostedZone.Id': return ref();
      case 'AWS::Route53::HealthCheck.HealthCheckId': return ref();
      case 'AWS::StepFunctions::StateMachine.Name': return String(ref()).split(':').pop();
      default: return `${logicalId}.${attribute}`;
    }
  }

  private importValue(exportName: string): any {
    for (const candidate of this.templates) {
      for (const output of Object.values(candidate.template.Outputs ?? {}) as Json[]) {
        if (output.Export && this.resolve(candidate, output.Export.Name) === exportName) return this.resolve(candidate, output.Value);
      }
    }
    throw new Error(`no template exports ${exportName}`);
  }

  private crossRegionExport(exportName: string): any {
    for (const candidate of this.templates) {
      for (const [, resource] of this.resources(candidate)) {
        if (resource.Type !== 'Custom::CrossRegionExportWriter') continue;
        const exports = resource.Properties.WriterProps.exports as Json;
        if (exportName in exports) return this.resolve(candidate, exports[exportName]);
      }
    }
    throw new Error(`no cross-region export writer writes ${exportName}`);
  }
}

/** Marks `AWS::NoValue`: the property (or list item) is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

/** A stable stand-in for a physical id CloudFormation would generate. */
function stableId(owner: EstateTemplate, logicalId: string): string {
  let hash = 0;
  for (const char of `${owner.path}/${logicalId}`) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** A key id, unique per stack and logical id (KMS makes a UUID). */
function keyId(owner: EstateTemplate, logicalId: string): string {
  const id = stableId(owner, logicalId);
  return `${id}-0000-4000-8000-${id}0000`;
}
