// A node:test reporter that counts leaf tests (not suites) and writes {passed, failed, skipped, notRun} as JSON.
// A skipped or todo test counts as failed: a test that did not run proves nothing, so the run must not pass.
// `notRun` names them ("file: test name") so the runner can print them.
export function summarize(events) {
  let passed = 0, failed = 0, skipped = 0;
  const notRun = [];
  for (const event of events) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') {
      // a suite that failed outside its tests (a hook, a crash) still counts as a failure
      if (event.type === 'test:fail' && event.data.details?.error?.failureType !== 'subtestsFailed') failed++;
      if (event.data.skip || event.data.todo) {
        skipped++;
        failed++;
        notRun.push(`${event.data.file ?? '?'}: ${event.data.name} (${event.data.skip ? 'skipped' : 'todo'})`);
      }
      continue;
    }
    if (event.data.skip || event.data.todo) {
      skipped++;
      failed++;
      notRun.push(`${event.data.file ?? '?'}: ${event.data.name} (${event.data.skip ? 'skipped' : 'todo'})`);
    } else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  return { passed, failed, skipped, notRun };
}

export default async function* summaryReporter(source) {
  const events = [];
  for await (const event of source) if (event.type === 'test:pass' || event.type === 'test:fail') events.push(event);
  yield JSON.stringify(summarize(events));
}
