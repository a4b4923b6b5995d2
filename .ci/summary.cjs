// The closing lines of a CI run, read from vitest's JSON report (.vitest-report.json): every failed
// test (file, full name, the first line of its failure) and every file that failed outside a test,
// then one line with the counts. They come last so that a log cut to its tail still says what failed.
'use strict';
const { relative } = require('node:path');

const report = require(`${process.cwd()}/.vitest-report.json`);
const oneLine = (text) =>
  String(text ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes in failure messages
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.length > 0)
    ?.slice(0, 240) ?? '';

const lines = [];
for (const file of report.testResults ?? []) {
  const name = relative(process.cwd(), file.name);
  const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
  for (const test of failed) {
    lines.push(`FAILED ${name} > ${test.fullName}: ${oneLine(test.failureMessages?.[0])}`);
  }
  if (failed.length === 0 && file.status === 'failed') {
    lines.push(`FAILED ${name} (outside any test): ${oneLine(file.message)}`);
  }
}
const shown = 40;
for (const line of lines.slice(0, shown)) console.log(line);
if (lines.length > shown) console.log(`... and ${lines.length - shown} more failures`);
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
