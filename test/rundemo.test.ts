import { afterEach, describe, expect, it } from 'vitest';
import { killAll, spawnScript } from './helpers/spawn.js';

afterEach(killAll);

describe('rundemo (black box)', () => {
  it("prints the article's transcript order after a real SIGINT and exits 1", async () => {
    const demo = spawnScript('dist/cmd/rundemo.js', ['--interval', '50ms']);
    await demo.until(({ stdout }) => (stdout.match(/^g[23] /gm) ?? []).length >= 4, 'four ticks');
    demo.child.kill('SIGINT');
    const { code } = await demo.exited;
    expect(code).toBe(1);

    const lines = demo.stdout().trim().split('\n');
    const afterSignal = lines.slice(lines.indexOf('g1 received signal SIGINT'));
    // The ticks after the interrupts are each ticker finishing the sleep it was in.
    const shape = afterSignal.map((l) => l.replace(/^(g[23]) \d{4}-\d\d-\d\dT.*$/, '$1 <tick>'));
    expect(shape.slice(0, 4)).toEqual(['g1 received signal SIGINT', 'g1 interrupt', 'g2 interrupt', 'g3 interrupt']);
    const rest = shape.slice(4);
    expect(rest.at(-1)).toBe('program exiting...');
    // Each ticker prints one last tick and then exits; g2 and g3 may interleave with each other.
    for (const name of ['g2', 'g3']) {
      const own = rest.filter((l) => l.startsWith(`${name} `));
      expect(own).toEqual([`${name} <tick>`, `${name} exit`]);
    }
    expect(rest).toHaveLength(5);
    expect(demo.stderr()).toBe('');
  });
});
