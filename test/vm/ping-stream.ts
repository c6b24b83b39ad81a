/**
 * A ping stream from the lab's client to one address (5 a second): which echo requests went
 * unanswered while something happened in the guest (an attach, a detach, a restart).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export class PingStream {
  private readonly child: ChildProcess;
  private output = '';
  private readonly closed: Promise<void>;

  constructor(
    netns: string,
    readonly address: string,
  ) {
    this.child = spawn('ip', ['netns', 'exec', netns, 'ping', '-n', '-i', '0.2', address], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.closed = new Promise((done) =>
      this.child.once('close', () => {
        done();
      }),
    );
  }

  /**
   * Stop, and list the sequence numbers that got no reply, leaving out the last 3 s of
   * requests (still in flight when the stream stopped).
   */
  async stop(): Promise<{ sent: number; lost: number[] }> {
    this.child.kill('SIGINT');
    await this.closed;
    const answered = new Set(
      [...this.output.matchAll(/bytes from .*icmp_seq=(\d+) /g)].map((match) => Number(match[1])),
    );
    const sent = Number(/(\d+) packets transmitted/.exec(this.output)?.[1] ?? 0);
    const lost: number[] = [];
    for (let seq = 1; seq <= sent - 15; seq++) if (!answered.has(seq)) lost.push(seq);
    return { sent, lost };
  }
}
