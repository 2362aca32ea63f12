import { finishRunTempDir } from './run-temp-dir';

export default function globalTeardown(): void {
  finishRunTempDir();
}
