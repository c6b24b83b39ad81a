/**
 * One QEMU guest in the lab: started in the switch's namespace (so QEMU opens the lab's
 * tap ports by name), serial console to a log file, QMP and the agent on unix sockets.
 * TCG only: /dev/kvm exists on the test machines but nested KVM hangs (TEST-MACHINE.md).
 * A reboot is a poweroff and a new QEMU process on the same disk, as a Nova stop/start is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, Qmp } from './qmp.js';
import { waitFor } from './run.js';

export interface VmNic {
  /** The lab's tap port (Lab.portOf). */
  tap: string;
  mac: string;
  /** The PCI slot: 3 → ens3. */
  slot: number;
}

export interface VmOptions {
  /** The namespace QEMU runs in (the lab's switch). */
  netns: string;
  work: string;
  disk: string;
  kernel: string;
  initrd: string;
  nics: VmNic[];
  configDrive?: { path: string; format: 'vfat' | 'iso9660' };
  memoryMiB?: number;
}

export class Vm {
  readonly consoleLog: string;
  private process: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  qmp!: Qmp;
  agent!: Agent;
  /** Date.now() when QEMU was started: "power-on". */
  startedAt = 0;
  private boots = 0;

  constructor(private readonly options: VmOptions) {
    this.consoleLog = join(options.work, 'console.log');
  }

  private args(nics: VmNic[]): string[] {
    const { work, disk, kernel, initrd, configDrive } = this.options;
    const args = [
      '-accel',
      'tcg',
      '-machine',
      'pc',
      '-m',
      String(this.options.memoryMiB ?? 1024),
      '-smp',
      '1',
      '-display',
      'none',
      '-monitor',
      'none',
      '-no-user-config',
      '-nodefaults',
      // Nova's SMBIOS: cloud-init's OpenStack data source checks it before asking 169.254.169.254.
      '-smbios',
      'type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova',
      '-kernel',
      kernel,
      '-initrd',
      initrd,
      '-append',
      'root=/dev/vda rw console=ttyS0 net.ifnames=1 systemd.show_status=1 loglevel=4',
      '-drive',
      `file=${disk},format=raw,if=none,id=root,cache=unsafe`,
      '-device',
      'virtio-blk-pci,drive=root,addr=0x10',
      '-serial',
      `file:${join(work, `serial-${this.boots}.log`)}`,
      '-chardev',
      `socket,id=agent,path=${join(work, 'agent.sock')},server=on,wait=off`,
      '-serial',
      'chardev:agent',
      '-qmp',
      `unix:${join(work, 'qmp.sock')},server=on,wait=off`,
    ];
    if (configDrive)
      args.push(
        '-drive',
        `file=${configDrive.path},format=raw,if=none,id=config,readonly=on`,
        '-device',
        'virtio-blk-pci,drive=config,addr=0x11',
      );
    // romfile= : no PXE option ROM (the guest boots from -kernel; ipxe-qemu is only a
    // Recommends of qemu-system-x86, which CI installs without).
    for (const nic of nics) {
      args.push(
        '-netdev',
        `tap,id=net${nic.slot},ifname=${nic.tap},script=no,downscript=no`,
        '-device',
        `virtio-net-pci,netdev=net${nic.slot},mac=${nic.mac},addr=0x${nic.slot.toString(16)},id=nic${nic.slot},romfile=`,
      );
    }
    return args;
  }

  /** Power on with these NICs (cold-plugged) and wait for the agent. */
  async start(nics: VmNic[] = this.options.nics, readyTimeoutMs = 300_000): Promise<void> {
    const { work, netns } = this.options;
    await rm(join(work, 'agent.sock'), { force: true });
    await rm(join(work, 'qmp.sock'), { force: true });
    this.boots++;
    const child = spawn('ip', ['netns', 'exec', netns, 'qemu-system-x86_64', ...this.args(nics)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.startedAt = Date.now();
    this.process = child;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.exited = new Promise((done) =>
      child.once('exit', (code) => {
        done(code);
      }),
    );
    void this.exited.then((code) =>
      appendFile(this.consoleLog, `\n[vm lab] QEMU exited ${code ?? 'on a signal'}: ${stderr.trim()}\n`).catch(
        () => undefined,
      ),
    );
    this.qmp = await Qmp.open(join(work, 'qmp.sock'));
    this.agent = await Agent.open(join(work, 'agent.sock'));
    await Promise.race([
      this.agent.ready(readyTimeoutMs),
      this.exited.then((code) => {
        throw new Error(`QEMU exited ${code ?? 'on a signal'} before the guest came up: ${stderr.trim()}`);
      }),
    ]);
  }

  /** The serial console of the current boot (kernel, systemd, cloud-init). */
  async serial(): Promise<string> {
    return await readFile(join(this.options.work, `serial-${this.boots}.log`), 'utf8').catch(() => '');
  }

  /** Wait until systemd says the boot is done (running or degraded). */
  async booted(timeoutMs = 300_000): Promise<string> {
    const result = await this.agent.sh('systemctl is-system-running --wait', timeoutMs);
    return result.stdout.trim();
  }

  /** Hot-plug a NIC as Nova's interface-attach does (netdev_add + device_add). */
  async attach(nic: VmNic): Promise<void> {
    await this.qmp.execute('netdev_add', {
      type: 'tap',
      id: `net${nic.slot}`,
      ifname: nic.tap,
      script: 'no',
      downscript: 'no',
    });
    await this.qmp.execute('device_add', {
      driver: 'virtio-net-pci',
      netdev: `net${nic.slot}`,
      mac: nic.mac,
      addr: `0x${nic.slot.toString(16)}`,
      id: `nic${nic.slot}`,
      romfile: '',
    });
  }

  /** Unplug a NIC as interface-detach does: device_del, wait for the guest to let go, netdev_del. */
  async detach(nic: VmNic, timeoutMs = 60_000): Promise<void> {
    const seen = this.qmp.events.length;
    await this.qmp.execute('device_del', { id: `nic${nic.slot}` });
    await waitFor(`the guest to release nic${nic.slot}`, timeoutMs, async () =>
      this.qmp.events
        .slice(seen)
        .some(
          (event) => event.event === 'DEVICE_DELETED' && JSON.stringify(event.data ?? {}).includes(`"nic${nic.slot}"`),
        )
        ? true
        : undefined,
    );
    await this.qmp.execute('netdev_del', { id: `net${nic.slot}` });
  }

  /** A clean poweroff from inside, then QEMU's exit; killed if it hangs. */
  async poweroff(timeoutMs = 180_000): Promise<void> {
    if (this.process?.exitCode !== null) return;
    await this.agent.sh('systemctl --no-block poweroff', 30_000).catch(() => undefined);
    const timer = setTimeout(() => this.process?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    await this.keepSerial();
    this.qmp.close();
    this.agent.close();
  }

  private async keepSerial(): Promise<void> {
    await appendFile(this.consoleLog, `\n===== boot ${this.boots} =====\n${await this.serial()}`).catch(
      () => undefined,
    );
  }

  async kill(): Promise<void> {
    if (this.process?.exitCode === null) {
      this.process.kill('SIGKILL');
      await this.exited;
      await this.keepSerial();
    }
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if start() failed before QEMU's sockets answered
    this.qmp?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- as qmp
    this.agent?.close();
  }
}
