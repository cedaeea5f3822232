// Drops the "show cursor" escape (ESC [?25h) that restore-cursor writes to stderr when the process
// exits, if stderr is not a terminal. ink hides the cursor of the in-memory terminals the tests and
// the dashboard bench draw into (they claim to be TTYs), and restore-cursor's exit hook then
// "restores" it on the real stderr: in a log that is a stray "[?25h". On a terminal it is kept.
if (!process.stderr.isTTY) {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => (chunk === '\u001B[?25h' ? true : write(chunk, ...rest));
}
