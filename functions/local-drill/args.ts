import { MATRIX_SCENARIOS } from './matrix/run';
import type { MatrixScenarioName } from './matrix/scenario';

export interface DrillArguments {
  readonly scenarios: readonly MatrixScenarioName[];
  readonly faultAfterSeconds: number;
  readonly hold: boolean;
  readonly jsonFile?: string;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run drill:local -- [options]

  --scenario NAME|all     one scenario of the fault matrix, or all of them (default all):
                          ${MATRIX_SCENARIOS.join(', ')}
  --fault-after SECONDS   the clients write this long before the fault (default 1): time to attach
                          psql/pgbench to the printed writer endpoint
  --hold                  keep the last scenario's estate (cluster, endpoint) up until Ctrl-C
  --json FILE             write one object per scenario: scenario, expected, observed, invariants,
                          rtoSeconds, detectSeconds, promoteSeconds, switchSeconds, rpoSeconds,
                          writesAcknowledged, lostCommittedWrites, promoted, passed, ...
  --help                  this text`;

export class UsageError extends Error {}

/** Parses the CLI flags; THROWS `UsageError` naming the bad flag. */
export function parseDrillArguments(argv: readonly string[]): DrillArguments {
  let scenarios: readonly MatrixScenarioName[] = MATRIX_SCENARIOS;
  let faultAfterSeconds = 1;
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
    switch (flag) {
      case '--scenario': {
        const raw = value();
        if (raw === 'all') scenarios = MATRIX_SCENARIOS;
        else if ((MATRIX_SCENARIOS as readonly string[]).includes(raw)) scenarios = [raw as MatrixScenarioName];
        else throw new UsageError(`--scenario must be one of ${MATRIX_SCENARIOS.join(', ')} or all, got "${raw}"`);
        break;
      }
      case '--fault-after': {
        const raw = value();
        const parsed = Number(raw);
        if (!Number.isFinite(parsed) || parsed < 0 || raw.trim() === '') throw new UsageError(`--fault-after must be a number of seconds >= 0, got "${raw}"`);
        faultAfterSeconds = parsed;
        break;
      }
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
  return { scenarios, faultAfterSeconds, hold, help, ...(jsonFile ? { jsonFile } : {}) };
}
