/**
 * The benchmark's code path, small: N = 1 and 2, one repetition, into a temp dir. Checks the
 * files it writes and that the figures are sane; no timing targets (speed lives in
 * `npm run bench`, not in tests).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchCommand } from '../../bench/main.js';
import type { BenchResults } from '../../bench/run.js';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();
const out = mkdtempSync(join(tmpdir(), 'multinic-bench-smoke-'));
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

describe.skipIf(!availability.ok)('npm run bench, smoke (N = 1, 2; one repetition)', () => {
  it(
    'writes results.json, the plot and BENCHMARKS.md with one point per N and every line measured',
    { timeout: 120_000 },
    async () => {
      const markdownFile = join(out, 'BENCHMARKS.md');
      await benchCommand({ counts: [1, 2], repetitions: 1, outDir: out, markdownFile, bundle: null });

      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
      expect(results.counts).toEqual([1, 2]);
      expect(results.repetitions).toBe(1);
      expect(results.machine.nproc).toBeGreaterThan(0);
      expect(results.machine.ip).toMatch(/iproute2/);
      expect(results.points.map((p) => p.n)).toEqual([1, 2]);
      for (const point of results.points) {
        for (const line of ['fresh', 'rerun', 'seed', 'floor', 'rerunFloor', 'nodeStart'] as const) {
          const summary = point.timings[line];
          expect(summary, `${line} at N=${point.n}`).toBeDefined();
          expect(summary!.samples).toHaveLength(1);
          expect(summary!.median).toBeGreaterThan(0);
          expect(summary!.median).toBeLessThan(60_000);
        }
        // No bundle asked for: no bundle lines.
        expect(point.timings.bundleFresh).toBeUndefined();
        // One subnet route and one default route per NIC, and three rules per NIC (all NICs
        // share one subnet: one rule to it, one to the main table's specific routes, one from).
        expect(point.ipCommands).toBe(5 * point.n);
        expect(point.sysctls).toBe(3 * point.n);
        expect(point.peakRssSamplesKb).toHaveLength(3);
        expect(point.peakRssKb).toBe(Math.max(...point.peakRssSamplesKb));
        expect(point.peakRssKb).toBeGreaterThan(10 * 1024);
        expect(point.bundlePeakRssSamplesKb).toBeNull();
        // Whatever the implementation, a fresh run reads and changes the kernel through ip.
        expect(point.processesFresh).toBeGreaterThanOrEqual(2);
        expect(point.processesRerun).toBeGreaterThanOrEqual(1);
        expect(point.rerunCommands).toHaveLength(point.processesRerun);
        expect(point.httpRequests).toBeGreaterThanOrEqual(1);
      }

      const svg = readFileSync(join(out, 'plot.svg'), 'utf8');
      expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg.match(/<polyline /g)?.length).toBe(5);

      const markdown = readFileSync(markdownFile, 'utf8');
      expect(markdown).toContain('| 1 |');
      expect(markdown).toContain('| 2 |');
      expect(markdown).toContain('![time against N](plot.svg)');
      expect(markdown).toMatch(/fresh at N=8 ≤ 1.5 × floor \| not measured/);
      expect(existsSync(join(out, 'results.json'))).toBe(true);
    },
  );
});
