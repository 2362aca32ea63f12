import { readFileSync } from 'fs';
import { join } from 'path';
import { resourceNamespaces, synthesizeEstate } from '../support/estate-templates';

/**
 * Defect 8: the documented narrowed CloudFormation execution policy (docs/deployment.md, formerly in the README)
 * omitted SQS, CloudWatch Logs, the nested stack of the hosted-rotation transform and Step Functions, and promised
 * roles "with a permission boundary" that CDK did not create.
 * The table is now derived from the templates: this test fails when a template creates a namespace the table lacks, or
 * the table lists one nothing creates.
 */

const DEPLOYMENT_DOC = 'docs/deployment.md';
const DOC = readFileSync(join(__dirname, '..', '..', '..', DEPLOYMENT_DOC), 'utf8');

function documentedNamespaces(): string[] {
  const start = DOC.indexOf('<!-- execution-policy:start -->');
  const end = DOC.indexOf('<!-- execution-policy:end -->');
  if (start < 0 || end < start) throw new Error(`${DEPLOYMENT_DOC} has no execution-policy block`);
  return DOC.slice(start, end).split('\n')
    .map((line) => /^\| `(AWS::[A-Za-z0-9]+)` \| (`[a-z0-9-]+`(, `[a-z0-9-]+`)*) \|/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => match[1])
    .sort();
}

/**
 * The hosted-rotation transform expands at deploy time into a Serverless Application Repository application, which is a
 * nested CloudFormation stack ("AWS::SecretsManager transform",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-secretsmanager.html).
 */
function transformNamespaces(templates: ReturnType<typeof synthesizeEstate>['templates']): string[] {
  const transforms = templates.flatMap(({ template }) => [template.Transform ?? []].flat() as string[]);
  return transforms.some((transform) => transform.startsWith('AWS::SecretsManager')) ? ['AWS::CloudFormation', 'AWS::Serverless'] : [];
}

describe('defect 8: the execution-policy table of docs/deployment.md matches what the templates create', () => {
  const { templates } = synthesizeEstate();
  const created = [...new Set([...resourceNamespaces(templates), ...transformNamespaces(templates)])].sort();

  it('lists every namespace of every template and nothing else', () => {
    expect(templates.length).toBe(11);
    expect(documentedNamespaces()).toEqual(created);
  });

  it('includes the namespaces the old guidance missed', () => {
    expect(created).toEqual(expect.arrayContaining(['AWS::SQS', 'AWS::Logs', 'AWS::CloudFormation', 'AWS::StepFunctions']));
  });

  it('no longer claims a permission boundary the app does not set', () => {
    expect(DOC).not.toMatch(/IAM roles\s+with a permission boundary\)/);
    expect(DOC).toContain('permissionsBoundaryPolicyName');
  });
});
