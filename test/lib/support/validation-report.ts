import { readFileSync } from 'fs';
import { join } from 'path';

/** `validation-report.json`, which CDK writes next to the templates when a policy validation plugin reports (the parts the tests read). */
export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly { readonly ruleName: string; readonly violatingConstructs: readonly { readonly constructPath: string }[] }[];
    readonly suppressedViolations?: readonly { readonly ruleName: string; readonly reason: string; readonly violatingConstructs: readonly { readonly constructPath: string }[] }[];
  }[];
}

export function readValidationReport(outdir: string): ValidationReport {
  return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
}
