/**
 * The chaos suite's hook (test/e2e/chaos.test.ts): with MULTINIC_CHAOS=<step>:kill the run
 * kills itself with SIGKILL at that step, with <step>:stop it stops (SIGSTOP) until the
 * test continues it. Steps: locked, source, kernel, batch, sysctls, and each state file's
 * name after it is written (state.json, …) or before its rename (state.json:temp). Unset
 * (always, outside the suite) it does nothing.
 */
export function chaosPoint(step: string): void {
  const chaos = process.env.MULTINIC_CHAOS;
  if (!chaos) return;
  const at = chaos.lastIndexOf(':');
  if (chaos.slice(0, at) !== step) return;
  process.kill(process.pid, chaos.slice(at + 1) === 'stop' ? 'SIGSTOP' : 'SIGKILL');
}
