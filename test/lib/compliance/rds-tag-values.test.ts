import { Aspects, Stack, Tags } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RdsTagValueAspect, rdsTagProblem } from '../../../lib/compliance/rds-tag-values';
import { buildStage, testApp, testConfig } from '../support/dr-stage';

describe('rdsTagProblem', () => {
  it.each([
    ['letters, digits, spaces and every allowed punctuation', 'Team A_b.c:d/e=f+g-h@i 42'],
    ['non-Latin letters', 'Zahlungsverkehr-Café-支払い'],
    ['the empty value', ''],
    ['exactly 256 characters', 'x'.repeat(256)],
  ])('accepts %s', (_name, value) => {
    expect(rdsTagProblem('Owner', value)).toBeUndefined();
  });

  it.each([
    ['<', 'a<b'], ['>', 'a>b'], ['comma', 'a,b'], ['semicolon', 'a;b'], ['quote', 'a"b'], ['asterisk', 'a*'],
    ['hash', '#1'], ['ampersand', 'R&D'], ['parenthesis', 'f(x)'],
  ])('rejects %s', (_name, value) => {
    expect(rdsTagProblem('Owner', value)).toMatch(/holds characters RDS rejects/);
  });

  it('rejects 257 characters, stating the length and the limit', () => {
    expect(rdsTagProblem('Owner', 'x'.repeat(257))).toBe('is 257 characters long (RDS allows 256)');
  });

  it.each([
    ['aws: key', 'aws:owner', 'x', 'aws:'], ['AWS: key (any case)', 'AWS:Owner', 'x', 'aws:'],
    ['rds: key', 'rds:team', 'x', 'rds:'], ['aws: value', 'Owner', 'aws:sre', 'aws:'], ['rds: value', 'Owner', 'rds:x', 'rds:'],
  ])('rejects the reserved prefix in a %s', (_name, key, value, prefix) => {
    expect(rdsTagProblem(key, value)).toBe(`uses the reserved prefix "${prefix}"`);
  });
});

describe('RdsTagValueAspect', () => {
  function stackWithParameterGroup(tag: [string, string]): Stack {
    const stack = new Stack(testApp(), 'Database', { env: { account: '123456789012', region: 'us-east-1' } });
    new rds.CfnDBParameterGroup(stack, 'Parameters', { family: 'postgres14', description: 'test', parameters: { 'rds.force_ssl': '1' } });
    new s3.Bucket(stack, 'NotRds');
    Tags.of(stack).add(...tag);
    Aspects.of(stack).add(new RdsTagValueAspect());
    return stack;
  }

  it('fails synth on "<" in a tag value, naming the tag, the value and the resource', () => {
    const stack = stackWithParameterGroup(['CostCenter', 'a<b']);
    expect(() => Template.fromStack(stack)).toThrow(
      'Invalid tag "CostCenter"="a<b" on Database/Parameters (AWS::RDS::DBParameterGroup): the value holds characters RDS rejects');
  });

  it('fails synth on an aws: prefixed tag', () => {
    expect(() => Template.fromStack(stackWithParameterGroup(['aws:team', 'sre']))).toThrow(/Invalid tag "aws:team"="sre" .*reserved prefix "aws:"/);
  });

  it('passes a valid tag and leaves it on the resource', () => {
    const template = Template.fromStack(stackWithParameterGroup(['CostCenter', 'cc-1234']));
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Tags: [{ Key: 'CostCenter', Value: 'cc-1234' }] });
  });

  it('ignores resources other than RDS (S3 accepts "<")', () => {
    const stack = new Stack(testApp(), 'Storage');
    new s3.Bucket(stack, 'Bucket');
    Tags.of(stack).add('Note', 'a<b');
    Aspects.of(stack).add(new RdsTagValueAspect());
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});

describe('DisasterRecoveryStage with an RDS-invalid tag from configuration', () => {
  it('fails synth naming the tag and the first RDS resource that carries it', () => {
    const stage = buildStage(testConfig({ tags: '{"Owner":"payments<sre>"}' }));
    expect(() => Template.fromStack(stage.primaryRegion)).toThrow(
      /^Invalid tag "Owner"="payments<sre>" on DisasterRecovery\/PrimaryRegionStack\/Database\/[\w/]+ \(AWS::RDS::DB\w+\)/);
  });
});
