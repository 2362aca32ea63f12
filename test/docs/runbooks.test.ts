import { existsSync } from 'fs';
import { join } from 'path';
import { drResourceNames } from '../../lib/config/resource-names';
import { linksOf, readRepoFile, REPO_ROOT } from './markdown';

/**
 * The runbooks index maps every alarm the estate creates (lib/config/resource-names.ts) to what to do, and lists one
 * runbook per situation.
 */

const INDEX = 'docs/runbooks/README.md';
const SITUATIONS = ['failover', 'abort-cancel', 'manual-confirm', 'fence-pending', 'long-primary-outage', 'reprotect-and-failback', 'drill-cleanup-failed'];

/** `paydb-replication-lag-dev` → `replication-lag`. */
function alarmNames(): string[] {
  const names = drResourceNames({ serviceName: 'svc', environmentSuffix: 'sfx' });
  return [...Object.values(names.alarms), ...Object.values(names.keeperAlarms)].map((name) => name.replace(/^svc-/, '').replace(/-sfx$/, ''));
}

describe('runbooks index', () => {
  const index = readRepoFile(INDEX);
  const rows = new Map(index.split('\n')
    .map((line) => /^\| `([a-z-]+)` \|(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => [match[1], match[2]]));

  it.each(alarmNames())('maps the alarm %s to its section in alarms.md and a runbook', (alarm) => {
    const row = rows.get(alarm);
    expect(row).toBeDefined();
    const targets = linksOf(row!).map((link) => link.target);
    expect(targets).toContain(`alarms.md#${alarm}`);
    expect(targets.every((target) => existsSync(join(REPO_ROOT, 'docs/runbooks', target.split('#')[0])))).toBe(true);
  });

  it('lists no alarm the estate does not create', () => {
    expect([...rows.keys()].filter((alarm) => !alarmNames().includes(alarm))).toEqual([]);
  });

  it.each(SITUATIONS)('links the situation runbook %s.md', (situation) => {
    expect(existsSync(join(REPO_ROOT, 'docs/runbooks', `${situation}.md`))).toBe(true);
    expect(linksOf(index).map((link) => link.target)).toContain(`${situation}.md`);
  });

  it('alarms.md has a section per alarm', () => {
    const alarms = readRepoFile('docs/runbooks/alarms.md');
    expect(alarmNames().filter((alarm) => !alarms.includes(`### \`${alarm}\``))).toEqual([]);
  });
});
