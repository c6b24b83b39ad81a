import { describe, expect, it } from 'vitest';
import { renderVmTable } from '../../bench/vm-table.js';

describe('renderVmTable (BENCHMARKS.md, in-guest table)', () => {
  const doc = {
    measuredAt: '2026-12-02T06:00:00Z',
    accel: 'tcg',
    results: {
      ifupdown: {
        firstBootServiceSeconds: 12.34,
        attachAnswerSeconds: 20,
        firstBootCriticalChain: 'network-online.target @1min\n└─multinic.service @50s +12s',
      },
      netplan: { firstBootServiceSeconds: 15 },
    },
  };

  it('has one column per flavour, a row per measured value, and the TCG caveat', () => {
    const text = renderVmTable(doc);
    expect(text).toContain('| | ifupdown | netplan |');
    expect(text).toContain('| first boot: multinic.service, start to finish (s) | 12.3 | 15.0 |');
    // Measured on one flavour only: the other's cell says so instead of inventing a number.
    expect(text).toContain('| attach: the new port answers, after device_add (s) | 20.0 | – |');
    expect(text).toMatch(/TCG.*only the comparisons/s);
    expect(text).toContain('└─multinic.service @50s +12s');
  });

  it('leaves out rows nobody measured', () => {
    expect(renderVmTable(doc)).not.toContain('without multinic');
  });
});
