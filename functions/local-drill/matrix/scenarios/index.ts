/** The fault matrix in the order `all` runs it. */
import type { Scenario } from '../scenario';
import { partition } from './partition';
import { regionLoss } from './region-loss';
import { blackholeCrash } from './blackhole-crash';
import { switchoverLagging } from './switchover-lagging';
import { maintenance } from './maintenance';
import { rotation } from './rotation';
import { orchestratorCrash } from './orchestrator-crash';
import { duplicateTriggers } from './duplicate-triggers';
import { primaryReturns } from './primary-returns';
import { lagOverGate } from './lag-over-gate';
import { flapping } from './flapping';
import { replicaDown } from './replica-down';
import { monitorDead } from './monitor-dead';
import { lifecycle } from './lifecycle';
import { keeperDeadPartition } from './keeper-dead-partition';

export const SCENARIOS: readonly Scenario[] = [partition, regionLoss, blackholeCrash, switchoverLagging, maintenance, rotation, lagOverGate, orchestratorCrash, flapping, replicaDown, monitorDead, duplicateTriggers, primaryReturns, lifecycle, keeperDeadPartition];
