import { startRunTempDir } from './run-temp-dir';

export default function globalSetup(): void {
  startRunTempDir();
}
