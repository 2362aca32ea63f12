import { startRunTempDir } from './run-temp-dir';

/**
 * The AWS SDK v3 warns once per process (process.emitWarning) when Node is older than the version its future
 * releases require. The product runs on Node 24 (Lambda, CodeBuild, GitHub Actions; engines >=22), so on an older
 * local Node the warning says nothing about the code under test: the SDK's own switch turns it off for the test
 * workers, which inherit this environment. Other warnings still print.
 */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

export default function globalSetup(): void {
  process.env[SDK_NODE_WARNING_SWITCH] = 'true';
  startRunTempDir();
}
