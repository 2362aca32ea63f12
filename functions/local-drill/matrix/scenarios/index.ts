/** The fault matrix in the order `all` runs it. */
import type { Scenario } from '../scenario';
import { partition } from './partition';
import { regionLoss } from './region-loss';
import { blackholeCrash } from './blackhole-crash';
import { switchoverLagging } from './switchover-lagging';
import { maintenance } from './maintenance';

export const SCENARIOS: readonly Scenario[] = [partition, regionLoss, blackholeCrash, switchoverLagging, maintenance];
