/**
 * Running a command in a test and keeping its outcome, for suites that drive real tools
 * (debootstrap, dpkg-deb, apt, systemctl): a failure is a result to assert on (`run`), or an
 * error naming the command and its stderr (`checked`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  timeout?: number;
}

/** `defaultTimeoutMs`: how long a command may take unless a call says otherwise. */
export function commandRunner(defaultTimeoutMs: number) {
  async function run(command: string, args: string[], options: CommandOptions = {}): Promise<Result> {
    try {
      const { stdout, stderr } = await exec(command, args, {
        env: options.env ?? process.env,
        timeout: options.timeout ?? defaultTimeoutMs,
        maxBuffer: 64 << 20,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
      return {
        code: typeof failed.code === 'number' ? failed.code : 127,
        stdout: failed.stdout ?? '',
        stderr: failed.stderr ?? failed.message,
      };
    }
  }
  async function checked(command: string, args: string[], options: CommandOptions = {}): Promise<Result> {
    const result = await run(command, args, options);
    if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result;
  }
  return { run, checked };
}
