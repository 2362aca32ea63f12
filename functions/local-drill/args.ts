import { SCENARIOS, type ScenarioName } from './drill';

export interface DrillArguments {
  readonly scenarios: readonly ScenarioName[];
  readonly faultAfterSeconds: number;
  readonly replicationCutBeforeCrashMs: number;
  readonly hold: boolean;
  readonly jsonFile?: string;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run drill:local -- [options]

  --scenario crash|switchover|all   which scenario(s) to run (default all)
  --fault-after SECONDS             write load runs this long before the fault (default 3),
                                    time to attach psql/pgbench to the printed writer endpoint
  --cut-replication-before-crash SECONDS
                                    crash only: stop the replica's WAL stream this long before the
                                    kill, so some acknowledged commits surely never reach it (default 0)
  --hold                            keep the last scenario's cluster and endpoint up until Ctrl-C
  --json FILE                       write [{scenario, rtoSeconds, detectSeconds, promoteSeconds,
                                    switchSeconds, rpoSeconds, writesAcknowledged,
                                    lostCommittedWrites, promoted, oldPrimaryFenced}]
  --help                            this text`;

export class UsageError extends Error {}

/** Parses the CLI flags; THROWS `UsageError` naming the bad flag. */
export function parseDrillArguments(argv: readonly string[]): DrillArguments {
  let scenarios: readonly ScenarioName[] = SCENARIOS;
  let faultAfterSeconds = 3;
  let replicationCutBeforeCrashMs = 0;
  let hold = false;
  let jsonFile: string | undefined;
  let help = false;
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = () => {
      const next = argv[++index];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    const nonNegativeSeconds = () => {
      const raw = value();
      const parsed = Number(raw);
      if (!Number.isFinite(parsed) || parsed < 0 || raw.trim() === '') throw new UsageError(`${flag} must be a number of seconds >= 0, got "${raw}"`);
      return parsed;
    };
    switch (flag) {
      case '--scenario': {
        const raw = value();
        if (raw === 'all') scenarios = SCENARIOS;
        else if ((SCENARIOS as readonly string[]).includes(raw)) scenarios = [raw as ScenarioName];
        else throw new UsageError(`--scenario must be crash, switchover or all, got "${raw}"`);
        break;
      }
      case '--fault-after':
        faultAfterSeconds = nonNegativeSeconds();
        break;
      case '--cut-replication-before-crash':
        replicationCutBeforeCrashMs = nonNegativeSeconds() * 1000;
        break;
      case '--hold':
        hold = true;
        break;
      case '--json':
        jsonFile = value();
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  return { scenarios, faultAfterSeconds, replicationCutBeforeCrashMs, hold, help, ...(jsonFile ? { jsonFile } : {}) };
}
