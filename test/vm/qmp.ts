/**
 * Line-oriented clients for a QEMU guest's two sockets: QMP (hot-plug, as Nova drives
 * libvirt) and the lab agent on the guest's second serial port (guest/agent.py).
 */
import { createConnection, type Socket } from 'node:net';

/** One JSON object a line over a unix socket, reconnecting until the socket exists. */
async function connect(path: string, timeoutMs: number): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolvePromise, reject) => {
        const socket = createConnection(path);
        socket.once('connect', () => {
          resolvePromise(socket);
        });
        socket.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`cannot connect to ${path}: ${String(error)}`, { cause: error });
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

function onLines(socket: Socket, handle: (message: Record<string, unknown>) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (!line.startsWith('{')) continue;
      try {
        handle(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a torn line (the guest's tty before the agent made it raw): not ours
      }
    }
  });
}

export class Qmp {
  private pending: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  readonly events: { event: string; data?: unknown }[] = [];
  private constructor(private readonly socket: Socket) {
    onLines(socket, (message) => {
      if ('event' in message) {
        this.events.push(message as { event: string });
        return;
      }
      if ('QMP' in message) return;
      const waiter = this.pending.shift();
      if (!waiter) return;
      if ('error' in message) waiter.reject(new Error(`QMP: ${JSON.stringify(message.error)}`));
      else waiter.resolve(message.return);
    });
  }

  static async open(path: string): Promise<Qmp> {
    const qmp = new Qmp(await connect(path, 30_000));
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return await new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface AgentResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Agent {
  private nextId = 1;
  private readonly acks = new Set<number>();
  private readonly waiters = new Map<number, (result: AgentResult) => void>();
  private readonly pongs = new Set<number>();
  private constructor(private readonly socket: Socket) {
    onLines(socket, (message) => {
      const id = message.id;
      if (typeof id !== 'number') return;
      if (message.ack === true) this.acks.add(id);
      else if (typeof message.code === 'number') {
        const decode = (value: unknown) =>
          Buffer.from(typeof value === 'string' ? value : '', 'base64').toString('utf8');
        this.waiters.get(id)?.({ code: message.code, stdout: decode(message.stdout), stderr: decode(message.stderr) });
        this.waiters.delete(id);
      }
      if (message.ack === true && !this.waiters.has(id)) this.pongs.add(id);
    });
  }

  static async open(path: string): Promise<Agent> {
    return new Agent(await connect(path, 30_000));
  }

  /** Wait until the agent in the guest answers (it starts early in the boot). */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const id = this.nextId++;
      this.socket.write(`${JSON.stringify({ id })}\n`);
      for (let i = 0; i < 20; i++) {
        await new Promise((done) => setTimeout(done, 100));
        if (this.pongs.has(id)) return;
      }
    }
    throw new Error(`the guest agent did not answer within ${timeoutMs} ms`);
  }

  /** Run a shell command in the guest (as root, /bin/sh -c). */
  async sh(command: string, timeoutMs = 120_000): Promise<AgentResult> {
    const id = this.nextId++;
    const line = `${JSON.stringify({ id, cmd: command, timeout: Math.ceil(timeoutMs / 1000) })}\n`;
    const result = new Promise<AgentResult>((resolve) => this.waiters.set(id, resolve));
    const deadline = Date.now() + timeoutMs + 15_000;
    // QEMU drops what the guest does not read: send again until the agent acknowledges.
    for (let attempt = 0; !this.acks.has(id); attempt++) {
      if (attempt > 0 && attempt % 50 === 0) this.socket.write(line);
      if (attempt === 0) this.socket.write(line);
      if (Date.now() > deadline) throw new Error(`guest agent: no ack for ${command}`);
      await new Promise((done) => setTimeout(done, 100));
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          reject(new Error(`guest agent: ${command} gave no answer within ${timeoutMs + 15_000} ms`));
        },
        Math.max(1, deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([result, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Like sh, but a non-zero exit throws with the command's stderr. */
  async must(command: string, timeoutMs = 120_000): Promise<string> {
    const result = await this.sh(command, timeoutMs);
    if (result.code !== 0)
      throw new Error(
        `guest: ${command} exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(-2000)}`,
      );
    return result.stdout;
  }

  close(): void {
    this.socket.destroy();
  }
}
