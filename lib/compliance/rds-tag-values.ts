import { IAspect, CfnResource, TagManager } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Characters RDS accepts in tag values (CreateDBInstance / AddTagsToResource). */
const RDS_TAG_VALUE_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
const RDS_TAG_VALUE_MAX_LENGTH = 256;
const RESERVED_PREFIXES = ['aws:', 'rds:'];

/** Why RDS would reject this tag, or undefined when it accepts it. */
export function rdsTagProblem(key: string, value: string): string | undefined {
  if (value.length > RDS_TAG_VALUE_MAX_LENGTH) return `is ${value.length} characters long (RDS allows ${RDS_TAG_VALUE_MAX_LENGTH})`;
  if (!RDS_TAG_VALUE_PATTERN.test(value)) return 'holds characters RDS rejects (allowed: letters, digits, spaces and _ . : / = + - @)';
  const reserved = RESERVED_PREFIXES.find((prefix) => key.toLowerCase().startsWith(prefix) || value.toLowerCase().startsWith(prefix));
  if (reserved) return `uses the reserved prefix "${reserved}"`;
  return undefined;
}

/**
 * Fails synth when an RDS resource carries a tag RDS would refuse at deploy time, naming the
 * resource and the tag. Runs read-only after the tagging aspects have applied their tags.
 */
export class RdsTagValueAspect implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || !node.cfnResourceType.startsWith('AWS::RDS::')) return;
    const tags = TagManager.of(node)?.tagValues() ?? {};
    for (const [key, value] of Object.entries(tags)) {
      const problem = rdsTagProblem(key, value);
      if (problem) {
        throw new Error(`Invalid tag "${key}"="${value}" on ${node.node.path} (${node.cfnResourceType}): the value ${problem}. ` +
          'Fix the tag (context "tags" or code that adds it) — RDS would reject it at deploy time.');
      }
    }
  }
}
