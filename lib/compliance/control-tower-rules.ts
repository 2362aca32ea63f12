import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';

/** The Control Tower rule set the plugin bundles, one `.guard` file per control. */
const RULES_DIR = join(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'), '..', 'rules', 'control-tower', 'cfn-guard');

/** One rule file: its name (what the plugin's `disabledRules` takes) and the resource types it reports on. */
export interface ControlTowerRule {
  readonly name: string;
  /** From the rule's own header (`# Reports on:`); empty when the header names none, and then the rule always runs. */
  readonly reportsOn: readonly string[];
}

/** Every rule of the bundled set with the resource types its header says it reports on. */
export function controlTowerRules(dir = RULES_DIR): ControlTowerRule[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return controlTowerRules(path);
    if (!entry.name.endsWith('.guard')) return [];
    return [{ name: entry.name.slice(0, -'.guard'.length), reportsOn: reportedTypes(readFileSync(path, 'utf8')) }];
  });
}

/** The `AWS::…` types listed under `# Reports on:` up to the next blank comment line. */
export function reportedTypes(rule: string): string[] {
  const lines = rule.split('\n');
  const start = lines.findIndex((line) => /^#\s*Reports on:/.test(line));
  if (start < 0) return [];
  const types: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#\s*$/.test(line) || !line.startsWith('#')) break;
    types.push(...(line.match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? []));
  }
  return types;
}

/** The rules that cannot apply to templates holding only `presentTypes`: they report on none of them. */
export function inapplicableRules(rules: readonly ControlTowerRule[], presentTypes: ReadonlySet<string>): string[] {
  return rules.filter((rule) => rule.reportsOn.length > 0 && !rule.reportsOn.some((type) => presentTypes.has(type))).map((rule) => rule.name);
}

/**
 * AWS Control Tower's proactive controls through `@cdklabs/cdk-validator-cfnguard`, skipping the rules about resource
 * types no template has (an AppSync or Redshift rule has nothing to evaluate here, and cfn-guard still spends time
 * on every rule for every template: half of the run). Same plugin name, so acknowledgements and reports are the
 * plugin's own.
 */
export class ControlTowerChecks implements IPolicyValidationPlugin {
  readonly name = 'cdk-validator-cfnguard';
  private readonly rules = controlTowerRules();

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const present = new Set(context.templatePaths.flatMap((path) => Object.values((JSON.parse(readFileSync(path, 'utf8')).Resources ?? {}) as Record<string, { Type: string }>)
      .map((resource) => resource.Type)));
    return new CfnGuardValidator({ disabledRules: inapplicableRules(this.rules, present) }).validate(context);
  }
}
