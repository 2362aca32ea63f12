import { Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { acknowledgeFindings, applyComplianceChecks } from '../../../lib/compliance/nag';
import { buildStage, synthesizeApp, testApp } from '../support/dr-stage';

/** A Stage (as the pipeline deploys it) holding one small stack, checked as the product checks its stage. */
function checkedStage(addResources: (stack: Stack) => void): Stack {
  const stage = new Stage(testApp(), 'Checked', { env: { account: '123456789012', region: 'us-east-1' } });
  const stack = new Stack(stage, 'Resources');
  addResources(stack);
  applyComplianceChecks(stage);
  return stack;
}

function compliantTopic(stack: Stack): sns.Topic {
  return new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }), enforceSSL: true });
}

describe('compliance checks reach stacks inside a Stage', () => {
  it('fail synth on an SNS topic without KMS and TLS enforcement, naming the rules and the resource', () => {
    const stack = checkedStage((scope) => new sns.Topic(scope, 'Topic'));
    expect(() => synthesizeApp(stack)).toThrow(/AwsSolutions-SNS3/);
    expect(() => synthesizeApp(stack)).toThrow(/PCI\.DSS\.321-SNSEncryptedKMS/);
    expect(() => synthesizeApp(stack)).toThrow(/Checked\/Resources\/Topic\/Resource/);
  });

  it('fail synth on an S3 bucket without KMS encryption and SSL enforcement', () => {
    const stack = checkedStage((scope) => new s3.Bucket(scope, 'Bucket'));
    expect(() => synthesizeApp(stack)).toThrow(/AwsSolutions-S10/);
    expect(() => synthesizeApp(stack)).toThrow(/PCI\.DSS\.321-S3BucketSSLRequestsOnly/);
    expect(() => synthesizeApp(stack)).toThrow(/PCI\.DSS\.321-S3DefaultEncryptionKMS/);
  });

  it('pass synth on a compliant resource, so the failures above come from the findings', () => {
    const stack = checkedStage(compliantTopic);
    expect(() => synthesizeApp(stack)).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } });
  });

  it('honour a specific acknowledgement and still fail on the findings it does not name', () => {
    const stack = checkedStage((scope) => {
      const topic = new sns.Topic(scope, 'Topic', { enforceSSL: true });
      acknowledgeFindings(topic, 'test: only the KMS finding is acknowledged', ['PCI.DSS.321-SNSEncryptedKMS']);
      new sns.Topic(scope, 'Other', { enforceSSL: true });
    });
    const failure = (() => {
      try { synthesizeApp(stack); } catch (error) { return String(error); }
      return '';
    })();
    expect(failure).toMatch(/Checked\/Resources\/Other\/Resource/);
    expect(failure).not.toMatch(/Checked\/Resources\/Topic\/Resource/);
  });

  it('cover every stack of the real DisasterRecoveryStage: a non-compliant topic added to the DR database stack fails synth', () => {
    const stage = buildStage();
    new sns.Topic(stage.drDatabase, 'Unencrypted');
    expect(() => synthesizeApp(stage)).toThrow(/DisasterRecovery\/DRDatabaseStack\/Unencrypted\/Resource[\s\S]*AwsSolutions-SNS3/);
  });

  it('do not run when only the Stage is synthesized (why tests must synthesize the App)', () => {
    const stack = checkedStage((scope) => new sns.Topic(scope, 'Topic'));
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});
