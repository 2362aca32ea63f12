import { existsSync, readFileSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';

/** Repository root (this file is test/contract/sdk-commands.ts). */
export const REPOSITORY_ROOT = resolve(__dirname, '..', '..');

/** IAM service prefix of each AWS SDK v3 client package the functions use (the service's authorization prefix). */
export const SDK_CLIENT_SERVICE: Readonly<Record<string, string>> = {
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-rds': 'rds',
  '@aws-sdk/client-route-53': 'route53',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-sns': 'sns',
};

/** One AWS API call the source sends: `new XCommand(` of a known client, as its IAM action. */
export interface SentCommand {
  readonly action: string;
  /** Repository-relative file that sends it. */
  readonly file: string;
}

/**
 * Every AWS SDK command the code reachable from `entry` (repository-relative, e.g. `functions/lease-keeper/handler.ts`)
 * sends, following relative imports. An SDK v3 command named `XCommand` of client package P needs the IAM action
 * `<service of P>:X` for every command the functions use.
 */
export function sentCommands(entry: string): SentCommand[] {
  const sent: SentCommand[] = [];
  for (const { file, source } of reachableSources(entry)) {
    const commandPackages = new Map<string, string>();
    for (const match of source.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
      const [, names, from] = match;
      if (from.startsWith('.')) continue;
      for (const name of names.split(',').map((part) => part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0])) {
        if (name.endsWith('Command')) commandPackages.set(name, from);
      }
    }
    for (const match of source.matchAll(/new\s+([A-Za-z0-9]+)Command\s*\(/g)) {
      const from = commandPackages.get(`${match[1]}Command`);
      const service = from && SDK_CLIENT_SERVICE[from];
      if (!service) throw new Error(`${relative(REPOSITORY_ROOT, file)} sends ${match[1]}Command from ${from ?? 'an unknown module'}: add its client to SDK_CLIENT_SERVICE`);
      sent.push({ action: `${service}:${match[1]}`, file: relative(REPOSITORY_ROOT, file) });
    }
  }
  return sent;
}

/** A source file the code of an entry point can run, with its absolute path. */
export interface ReachableSource {
  readonly file: string;
  readonly source: string;
}

/** `entry` (repository-relative) and every file it reaches through relative imports and re-exports, each once. */
export function reachableSources(entry: string): ReachableSource[] {
  const seen = new Set<string>();
  const reached: ReachableSource[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    reached.push({ file, source });
    for (const match of source.matchAll(/(?:import|export)\s+[^;]*?from\s+'(\.[^']+)'/g)) {
      const target = [`${match[1]}.ts`, join(match[1], 'index.ts')].map((candidate) => resolve(dirname(file), candidate)).find(existsSync);
      if (target) visit(target);
    }
  };
  visit(join(REPOSITORY_ROOT, entry));
  return reached;
}
