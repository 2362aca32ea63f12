#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { configSourcesFrom, loadConfig } from '../lib/config/dr-config';
import { DisasterRecoveryStage } from '../lib/stages/disaster-recovery-stage';

const app = new App({ postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true } });
const config = loadConfig(configSourcesFrom((key) => app.node.tryGetContext(key)));
for (const warning of config.warnings) console.warn(`[WARNING] ${warning}`);

new DisasterRecoveryStage(app, 'DisasterRecovery', { config });
app.synth();
