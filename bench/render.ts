/**
 * Pure: the issue's targets judged on the results, BENCHMARKS.md and the SVG plot.
 */
import { FORM_LINES, FORMS, type BenchPoint, type BenchResults, type Form, type TimedLine } from './run.js';
import { fitLinear, round } from './stats.js';

export interface TargetVerdict {
  target: string;
  met: boolean | null;
  figures: string;
}

const median = (point: BenchPoint | undefined, line: TimedLine): number | undefined => point?.timings[line]?.median;
const ratio = (a: number, b: number) => round(a / b, 2);

/** What each form is, for headings and the legend. */
export const FORM_NAMES: Record<Form, string> = {
  dist: 'dist/ (tsc output)',
  bundle: 'the bundle, plain (node build/multinic.cjs: the npm command)',
  snapshot: 'the bundle from its startup snapshot (node --snapshot-blob)',
  wrapper: 'the installed wrapper (snapshot check, then the snapshot)',
  sea: 'the single executable as shipped, plain (build/multinic)',
  seaPlain: 'the single executable with a startup snapshot (A/B, not shipped: aborts where V8 refuses it)',
};

/** The peak RSS samples of a form at one point (results of older runs have dist and bundle only). */
export function peakRssSamples(point: BenchPoint | undefined, form: Form): number[] | undefined {
  if (!point) return undefined;
  return (
    point.peakRssSamplesKbByForm[form] ??
    (form === 'dist'
      ? point.peakRssSamplesKb
      : form === 'bundle'
        ? (point.bundlePeakRssSamplesKb ?? undefined)
        : undefined)
  );
}

/** The same targets for each form, on its own fresh and rerun lines. */
export function judgeTargets(results: BenchResults, variant: Form = 'dist'): TargetVerdict[] {
  const [freshLine, rerunLine]: readonly TimedLine[] = FORM_LINES[variant];
  const at = (n: number) => results.points.find((p) => p.n === n);
  const verdicts: TargetVerdict[] = [];
  for (const [n, limit] of [
    [8, 1.5],
    [64, 1.3],
  ] as const) {
    const fresh = median(at(n), freshLine);
    const floor = median(at(n), 'floor');
    verdicts.push(
      fresh === undefined || floor === undefined
        ? { target: `fresh at N=${n} ≤ ${limit} × floor`, met: null, figures: `N=${n} not measured` }
        : {
            target: `fresh at N=${n} ≤ ${limit} × floor`,
            met: fresh <= limit * floor,
            figures: `${fresh} ms vs floor ${floor} ms = ${ratio(fresh, floor)} ×`,
          },
    );
  }
  {
    const fresh = median(at(64), freshLine);
    const seed = median(at(64), 'seed');
    verdicts.push(
      fresh === undefined || seed === undefined
        ? { target: 'N=64: ≥ 3 × faster than the seed recipe', met: null, figures: 'N=64 not measured' }
        : {
            target: 'N=64: ≥ 3 × faster than the seed recipe',
            met: seed >= 3 * fresh,
            figures: `seed ${seed} ms / fresh ${fresh} ms = ${ratio(seed, fresh)} ×`,
          },
    );
  }
  {
    const rows = results.points
      .map((p) => ({
        n: p.n,
        rerun: median(p, rerunLine),
        floor: median(p, 'rerunFloor'),
        node: median(p, 'nodeStart'),
      }))
      .filter(
        (r): r is { n: number; rerun: number; floor: number; node: number } =>
          r.rerun !== undefined && r.floor !== undefined && r.node !== undefined,
      );
    // "1.2 × node -e 0 plus the reads": node's start-up is the part a Node tool can only match, the reads are fixed.
    const limitOf = (r: (typeof rows)[number]) => 1.2 * r.node + Math.max(0, r.floor - r.node);
    const worst = rows.reduce<(typeof rows)[number] | undefined>(
      (w, r) => (w === undefined || r.rerun / limitOf(r) > w.rerun / limitOf(w) ? r : w),
      undefined,
    );
    verdicts.push(
      worst === undefined
        ? { target: 'rerun ≤ 1.2 × node -e 0 + the reads', met: null, figures: 'not measured' }
        : {
            target: 'rerun ≤ 1.2 × node -e 0 + the reads',
            met: rows.every((r) => r.rerun <= limitOf(r)),
            figures: `worst at N=${worst.n}: rerun ${worst.rerun} ms vs limit ${round(limitOf(worst))} ms (node -e 0 ${worst.node} ms, reads ${round(Math.max(0, worst.floor - worst.node))} ms)`,
          },
    );
  }
  {
    const samples = peakRssSamples(at(64), variant);
    const kb = samples ? Math.max(...samples) : undefined;
    verdicts.push(
      kb === undefined
        ? { target: 'peak RSS at N=64 ≤ 60 MB', met: null, figures: 'N=64 not measured' }
        : { target: 'peak RSS at N=64 ≤ 60 MB', met: kb <= 60 * 1024, figures: `${round(kb / 1024)} MB` },
    );
  }
  {
    const points = results.points
      .map((p) => ({ n: p.n, ms: median(p, freshLine) }))
      .filter((p): p is { n: number; ms: number } => p.ms !== undefined);
    const at = (n: number) => points.find((p) => p.n === n)?.ms;
    const [t8, t32, t64] = [at(8), at(32), at(64)];
    if (t8 === undefined || t32 === undefined || t64 === undefined) {
      verdicts.push({
        target: 'time linear in N (no quadratic step)',
        met: null,
        figures: 'N = 8, 32 and 64 not all measured',
      });
    } else {
      // Cost per added NIC in the top of the range against the middle: a step quadratic in the
      // number of rules or routes makes it grow with N (2.4 × for T = c·N²); a linear one keeps
      // it level, give or take the noise, which a 0.5 ms-per-NIC floor absorbs.
      const high = (t64 - t32) / 32;
      const middle = (t32 - t8) / 24;
      const fit = fitLinear(points);
      verdicts.push({
        target: 'time linear in N (no quadratic step)',
        met: high <= 2 * Math.max(middle, 0.5),
        figures: `per added NIC ${round(middle, 2)} ms (N 8→32) and ${round(high, 2)} ms (N 32→64), limit 2 × the first; linear fit ${fit.intercept} ms + ${fit.slope} ms·N`,
      });
    }
  }
  return verdicts;
}

const LINE_STYLE: Partial<Record<TimedLine, { label: string; color: string; dash?: string }>> = {
  fresh: { label: 'multinic fresh (dist)', color: '#d62728' },
  rerun: { label: 'multinic rerun (dist)', color: '#ff7f0e' },
  bundleFresh: { label: 'multinic fresh (bundle)', color: '#9467bd' },
  bundleRerun: { label: 'multinic rerun (bundle)', color: '#8c564b' },
  snapshotFresh: { label: 'fresh (bundle, snapshot)', color: '#e377c2' },
  snapshotRerun: { label: 'rerun (bundle, snapshot)', color: '#e377c2', dash: '5,4' },
  wrapperFresh: { label: 'fresh (installed wrapper)', color: '#7f7f7f' },
  wrapperRerun: { label: 'rerun (installed wrapper)', color: '#7f7f7f', dash: '5,4' },
  seaFresh: { label: 'fresh (single executable)', color: '#17becf' },
  seaRerun: { label: 'rerun (single executable)', color: '#17becf', dash: '5,4' },
  seaPlainFresh: { label: 'fresh (single exec., no snapshot)', color: '#bcbd22' },
  seaPlainRerun: { label: 'rerun (single exec., no snapshot)', color: '#bcbd22', dash: '5,4' },
  seed: { label: 'seed recipe (4 ip per NIC)', color: '#1f77b4' },
  floor: { label: 'floor (node -e 0 + one ip -batch)', color: '#2ca02c' },
  rerunFloor: { label: 'rerun floor (node -e 0 + reads)', color: '#2ca02c', dash: '5,4' },
};

/** Time against N (log2 axis), one polyline per line. */
export function renderSvg(results: BenchResults): string {
  const width = 760;
  const height = 440;
  const margin = { left: 64, right: 250, top: 30, bottom: 50 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const counts = results.points.map((p) => p.n);
  const lines = (Object.keys(LINE_STYLE) as TimedLine[]).filter((line) => results.points.some((p) => p.timings[line]));
  const maxMs = Math.max(1, ...results.points.flatMap((p) => lines.map((l) => p.timings[l]?.median ?? 0)));
  const yMax = niceCeil(maxMs);
  const logMin = Math.log2(Math.min(...counts));
  const logMax = Math.log2(Math.max(...counts));
  const x = (n: number) =>
    margin.left + (logMax === logMin ? plotW / 2 : ((Math.log2(n) - logMin) / (logMax - logMin)) * plotW);
  const y = (ms: number) => margin.top + plotH - (ms / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(
    `<text x="${margin.left}" y="18" font-size="14">multinic: wall time (median of ${results.repetitions}) against the number of NICs</text>`,
  );
  for (let i = 0; i <= 5; i++) {
    const ms = (yMax / 5) * i;
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(y(ms))}" y2="${f(y(ms))}" stroke="#ddd"/>`);
    out.push(`<text x="${margin.left - 6}" y="${f(y(ms) + 4)}" text-anchor="end">${round(ms)}</text>`);
  }
  for (const n of counts) {
    out.push(`<line x1="${f(x(n))}" x2="${f(x(n))}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(n))}" y="${margin.top + plotH + 16}" text-anchor="middle">${n}</text>`);
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">NICs (N, log scale)</text>`);
  out.push(
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">milliseconds</text>`,
  );
  lines.forEach((line, i) => {
    const style = LINE_STYLE[line]!;
    const pts = results.points
      .filter((p) => p.timings[line])
      .map((p) => ({ cx: f(x(p.n)), cy: f(y(p.timings[line]!.median)) }));
    const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : '';
    out.push(
      `<polyline fill="none" stroke="${style.color}" stroke-width="2"${dash} points="${pts.map((p) => `${p.cx},${p.cy}`).join(' ')}"/>`,
    );
    for (const p of pts) out.push(`<circle cx="${p.cx}" cy="${p.cy}" r="3" fill="${style.color}"/>`);
    const ly = margin.top + 10 + i * 20;
    const lx = margin.left + plotW + 14;
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${style.color}" stroke-width="2"${dash}/>`,
    );
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${escapeXml(style.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export function renderMarkdown(results: BenchResults, options: { svgName: string; notes?: string[] }): string {
  const m = results.machine;
  const lines = (Object.keys(LINE_STYLE) as TimedLine[]).filter((line) => results.points.some((p) => p.timings[line]));
  const cell = (p: BenchPoint, line: TimedLine) => {
    const s = p.timings[line];
    return s ? `${s.median} (${s.min}–${s.max})` : '–';
  };
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push('Generated by `npm run bench` (bench/); do not edit by hand. Raw figures: bench/results.json.', '');
  out.push(`Run ${results.generatedAt} on ${m.nproc} CPU(s), ${m.cpu}, kernel ${m.kernel}; node ${m.node}; ${m.ip}.`);
  out.push(
    `Load average (1, 5, 15 min) ${m.loadBefore.join(', ')} before and ${m.loadAfter.join(', ')} after: above ${m.nproc} means other work shared the CPUs and every figure is inflated by it.`,
  );
  out.push(
    `multinic: \`${m.multinic}\`${m.bundle ? `; bundle: \`${m.bundle}\`` : ' (no bundle found)'}${Object.entries(
      m.forms ?? {},
    )
      .map(([form, argv]) => `; ${form}: \`${argv}\``)
      .join('')}; built from ${m.source}.`,
    '',
  );
  out.push(
    'Each guest is a network namespace with N veth NICs (own MAC, an address in 203.0.113.0/24, gateway .1 on-link).',
    'Every timed line runs as `ip netns exec NS bash SCRIPT` (the same entry cost for all), ' +
      `${results.repetitions} repetitions each, wall time in ms: median (min–max).`,
    '',
    '- **fresh**: `multinic apply --network-data FILE --persist none --state-dir DIR` on a guest with no policy routing (rules, tables, sysctls and state dir reset before each);',
    '- **rerun**: the same again, nothing to change;',
    '- **seed**: the four `ip` commands per NIC of shared/seeds/000_ffb69a24ac8b3ca9.txt, one process each, from a bash script;',
    '- **floor**: `node -e 0` plus one `ip -batch` holding exactly the ip commands the fresh run made (the sysctls multinic writes besides, 3 per NIC through /proc/sys, are not in it);',
    '- **rerun floor**: `node -e 0` plus every command the rerun spawned (its live reads and its verification probes), replayed one after another from the run log (`MULTINIC_RUN_LOG`);',
    '- **node -e 0**: Node start-up alone.',
    '',
  );
  out.push(`| N | ${lines.map((l) => LINE_STYLE[l]!.label).join(' | ')} | node -e 0 |`);
  out.push(`|---:|${lines.map(() => '---:').join('|')}|---:|`);
  for (const p of results.points)
    out.push(`| ${p.n} | ${lines.map((l) => cell(p, l)).join(' | ')} | ${cell(p, 'nodeStart')} |`);
  out.push('', `![time against N](${options.svgName})`, '');
  out.push('Footprint of one fresh run (peak RSS: the largest of three fresh runs, all three in brackets):', '');
  const rssForms = FORMS.filter((form) => results.points.some((p) => peakRssSamples(p, form)));
  out.push(
    `| N | ip commands (floor batch) | sysctls | ${rssForms.map((form) => `peak RSS (${form})`).join(' | ')} | processes fresh (run log / strace) | processes rerun | HTTP requests (metadata, no --network-data) |`,
  );
  out.push(`|---:|---:|---:|${rssForms.map(() => '---:|').join('')}---:|---:|---:|`);
  for (const p of results.points) {
    const rss = rssForms.map((form) => {
      const samples = peakRssSamples(p, form);
      return samples ? mb(samples) : '–';
    });
    out.push(
      `| ${p.n} | ${p.ipCommands} | ${p.sysctls} | ${rss.join(' | ')} | ${p.processesFresh} / ${p.processesFreshStrace ?? 'no strace'} | ${p.processesRerun} | ${p.httpRequests} |`,
    );
  }
  const last = results.points[results.points.length - 1];
  if (last)
    out.push(
      '',
      `What a rerun spawns (N=${last.n}):`,
      '',
      ...last.rerunCommands.map((c) => `- \`${c.replace(/`/g, "'")}\``),
    );
  out.push(...renderTimelines(results));
  const variants = FORMS.filter((form) => results.points.some((p) => p.timings[FORM_LINES[form][0]]));
  for (const variant of variants) {
    out.push('', `## Targets (issues 7 and 16), ${FORM_NAMES[variant]}`, '');
    out.push('| target | met | figures |', '|---|---|---|');
    for (const v of judgeTargets(results, variant))
      out.push(`| ${v.target} | ${v.met === null ? 'not measured' : v.met ? 'yes' : '**no**'} | ${v.figures} |`);
  }
  if (options.notes?.length) out.push('', ...options.notes);
  return `${out.join('\n')}\n`;
}

function mb(samplesKb: number[]): string {
  return `${round(Math.max(...samplesKb) / 1024)} MB (${samplesKb.map((kb) => round(kb / 1024)).join(', ')})`;
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function f(value: number): string {
  return value.toFixed(1);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The counts whose runs are split into steps in the report: 8 and 64 NICs, where the targets are. */
const TIMELINE_COUNTS = [8, 64];

/**
 * Where a run's milliseconds go (timeline.ts): each step of a fresh run and a rerun, with the
 * same trace of `node -e 0` beside them for what Node's own start costs.
 */
function renderTimelines(results: BenchResults): string[] {
  const points = results.points.filter((p) => p.timeline && TIMELINE_COUNTS.includes(p.n));
  if (points.length === 0) return [];
  const out = ['', '## Where the milliseconds go (strace timelines)', ''];
  out.push(
    'Each run traced with `strace -f -tt --seccomp-bpf -e trace=execve,exit_group` (only those two calls stop, so the trace adds little; it still adds some, compare the `node -e 0` line with the table above). ' +
      'Steps in order: **node** is multinic itself (the first one: node starting, loading multinic and reading its options, until it starts its first process; the later ones its JavaScript, and starting and reaping processes), the others the processes it waits for (side by side ones, `‖`, make one step). Medians of the traced runs.',
  );
  for (const p of points) {
    const t = p.timeline!;
    for (const [kind, steps] of [
      ['fresh', t.fresh],
      ['rerun', t.rerun],
    ] as const) {
      const total = steps.reduce((sum, step) => sum + step.ms, 0);
      const inNode = steps.filter((step) => step.what === 'node').reduce((sum, step) => sum + step.ms, 0);
      out.push(
        '',
        `N=${p.n}, ${kind} (${FORM_NAMES[t.form]}, ${t.runs} traced runs): ${round(total)} ms in all, ${round(inNode)} ms of it in node; \`node -e 0\` under the same trace ${round(t.nodeStartMs)} ms.`,
        '',
        '| step | ms |',
        '|---|---:|',
        ...steps.map(
          (step, i) =>
            `| ${i === 0 ? 'node: start until the first process' : step.what === 'node' ? 'node' : `\`${step.what}\``} | ${round(step.ms)} |`,
        ),
      );
    }
  }
  return out;
}
