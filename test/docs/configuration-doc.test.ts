import { loadConfig } from '../../lib/config/dr-config';
import { CONFIGURATION_DOC, extractConfigModel, generateConfigurationDoc } from '../../scripts/generate-config-docs';
import { readRepoFile } from './markdown';

/**
 * docs/configuration.md is generated from the code that reads the configuration (lib/config/dr-config.ts, bin/tap.ts):
 * it must be exactly what the generator writes now, and what the generator read must be what loadConfig does.
 */

describe('docs/configuration.md', () => {
  it('is the generated text (regenerate: npm run docs:config)', () => {
    const current = readRepoFile(CONFIGURATION_DOC);
    const generated = generateConfigurationDoc();
    if (current !== generated) {
      const currentLines = current.split('\n');
      const generatedLines = generated.split('\n');
      const line = generatedLines.findIndex((text, index) => text !== currentLines[index]);
      throw new Error(`${CONFIGURATION_DOC} is stale: run \`npm run docs:config\`. First difference at line ${line + 1}:\n`
        + `  file:      ${currentLines[line] ?? '(end of file)'}\n  generated: ${generatedLines[line] ?? '(end of file)'}`);
    }
  });
});

describe('what the generator reads from the code', () => {
  const model = extractConfigModel();
  const defaults = loadConfig({ context: () => undefined, env: {} });
  const at = (path: string): unknown => path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], defaults);

  it('finds every setting, each once', () => {
    const keys = model.settings.map((setting) => setting.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining(['environmentSuffix', 'account', 'primaryVpcCidr', 'engineVersion', 'failoverMode',
      'leaseTtlSeconds', 'reservedConcurrency', 'tags', 'target']));
  });

  it('follows every setting of loadConfig to a DrConfig field that exists', () => {
    const fromConfig = model.settings.filter((setting) => setting.source === 'lib/config/dr-config.ts');
    expect(fromConfig.filter((setting) => setting.field === undefined).map((setting) => setting.key)).toEqual([]);
    expect(fromConfig.filter((setting) => !setting.type?.endsWith('(optional)') && setting.key !== 'tags' && at(setting.field!) === undefined)
      .map((setting) => setting.key)).toEqual([]);
  });

  it('shows the defaults loadConfig applies', () => {
    const literal = model.settings.filter((setting) => setting.literalDefault !== undefined && setting.field !== undefined);
    expect(literal.length).toBeGreaterThan(25);
    for (const setting of literal) {
      const value = at(setting.field!);
      expect({ setting: setting.key, value: Array.isArray(value) ? value.join(',') : String(value) })
        .toEqual({ setting: setting.key, value: setting.literalDefault });
    }
  });

  it('documents every rule with the numbers the validators use', () => {
    const rulesOf = (key: string) => model.settings.find((setting) => setting.key === key)!.rules;
    expect(rulesOf('natGatewaysPerRegion')).toContain('"‹natGatewaysPerRegion›" must be a whole number from 1 to 3');
    expect(rulesOf('target')).toContain('"‹target›" must be "pipeline" (default) or "sandbox"');
    expect(model.sharedRules.find((rule) => rule.settings.includes('leaseTtlSeconds'))?.alternatives)
      .toContain('the fence budget must be shorter than the lease TTL');
  });
});
