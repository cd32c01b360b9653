// Loaded into every test file's process: once a file's tests have finished, a process still held open by a
// leaked handle (a server, a child process, a timer) exits after a grace period instead of hanging the run.
import { after } from 'node:test';

after(() => {
  setTimeout(() => {
    process.stderr.write('test watchdog: this file left handles open after its tests finished; exiting\n');
    process.exit(process.exitCode ?? 0);
  }, 10_000).unref();
});
