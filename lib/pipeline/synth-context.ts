import { DrConfig } from '../config/dr-config';

/**
 * The `-c key=value` arguments that make a `cdk synth` in CodeBuild reproduce the app the operator
 * synthesized locally: identity, regions and source. Settings that shape resources (sizes, CIDRs,
 * thresholds, tags) belong in `cdk.json` so that git carries them to every synth.
 * A placeholder account or connection is left out, so the remote synth warns exactly as the local one.
 */
export function synthContextArguments(config: DrConfig): string[] {
  const context: Record<string, string | undefined> = {
    account: config.accountIsPlaceholder ? undefined : config.workloadAccount,
    toolingAccount: config.accountIsPlaceholder ? undefined : config.toolingAccount,
    environmentSuffix: config.environmentSuffix,
    serviceName: config.serviceName,
    primaryRegion: config.regions.primary,
    drRegion: config.regions.dr,
    toolingRegion: config.regions.tooling,
    connectionArn: config.pipeline.connectionArnIsPlaceholder ? undefined : config.pipeline.connectionArn,
    repository: config.pipeline.repository,
    branch: config.pipeline.branch,
  };
  return Object.entries(context)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `-c ${key}=${value}`);
}

/** `npx cdk synth` with the context above: the same command in the pipeline, the PR checks and CI. */
export function synthCommand(config: DrConfig): string {
  return ['npx cdk synth', ...synthContextArguments(config)].join(' ');
}
