/**
 * The process's own metrics under the names standard dashboards query: `prometheus_build_info`
 * as upstream's version collector labels it, `process_*` as client_golang's process collector
 * exposes them (same names, help and types, read from /proc on Linux as it does), the `go_*`
 * series that have an honest Node equivalent, and a few `nodejs_*` beside them.
 *
 * Chosen `go_*` equivalents (V8's heap is what Go's heap is to a Go program):
 * - go_memstats_alloc_bytes and go_memstats_heap_alloc_bytes: V8's used heap;
 * - go_memstats_heap_inuse_bytes: V8's heap size (used plus not yet reused);
 * - go_threads: the OS threads of the process (/proc/self/status).
 * Left out, as no honest equivalent exists: go_goroutines (the event loop has no goroutines),
 * go_info (it would claim a Go version), and Go's scheduler and allocator internals. Left out
 * although Node could give them: go_gc_duration_seconds and go_memstats_last_gc_time_seconds.
 * They need a perf_hooks `gc` observer (as prom-client's GC metric uses), which adds work to every
 * collection; with it, test/load.test.ts's /-/healthy bound (500 ms beside a 100,000-series
 * target) failed in 3 runs of 3 on a loaded machine, without it in 1 of 3: not kept until measured
 * on a quiet one.
 *
 * Not prom-client's collectDefaultMetrics: its `nodejs_active_handles_total` and friends are gauges
 * ending in `_total`, which `promtool check metrics` rejects, and it lacks client_golang's
 * process_virtual_memory_max_bytes and process_network_* series.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What `prometheus_build_info` says about this build. */
export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  /** The runtime, where upstream names its Go version (`node v20.19.0`). */
  goversion: string;
}

/** Go's GOARCH for Node's process.arch, as build_info's goarch label spells it. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le' };

/** /proc/self/limits's soft limit for a row (`Max open files`), Infinity when unlimited. */
function procLimit(limits: string, row: string): number | undefined {
  const line = limits.split('\n').find((l) => l.startsWith(row));
  const soft = line?.slice(row.length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  // client_golang reports "unlimited" as the largest uint64, which prints as 1.8446744073709552e+19.
  return soft === 'unlimited' ? 2 ** 64 : Number(soft);
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** IpExt's InOctets and OutOctets of /proc/self/net/netstat, as client_golang reads them. */
function netOctets(): { in: number; out: number } | undefined {
  const text = readProc('/proc/self/net/netstat');
  if (text === undefined) return undefined;
  const rows = text.split('\n').filter((l) => l.startsWith('IpExt:'));
  const names = rows[0]?.split(/\s+/);
  const values = rows[1]?.split(/\s+/);
  if (!names || !values) return undefined;
  const at = (name: string) => Number(values[names.indexOf(name)]);
  return { in: at('InOctets'), out: at('OutOctets') };
}

/** Virtual memory from /proc/self/stat (field 23), as client_golang reads it. */
function virtualMemory(): number | undefined {
  const stat = readProc('/proc/self/stat');
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so vsize (field 23) is fields[20].
  return Number(fields[20]);
}

/** Registers the build, process and runtime metrics in the registry (read when scraped). */
export function registerRuntimeMetrics(registry: Registry, build: BuildInfo): void {
  const registers = [registry];
  new Gauge({
    name: 'prometheus_build_info',
    help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which prometheus was built, and the goos and goarch for the build.",
    labelNames: ['branch', 'goarch', 'goos', 'goversion', 'revision', 'tags', 'version'],
    registers,
  }).set(
    {
      ...build,
      goarch: GOARCH[process.arch] ?? process.arch,
      goos: process.platform,
      // Go build tags; a Node build has none, and upstream's default is "unknown".
      tags: 'unknown',
    },
    1,
  );

  // client_golang's process collector: same names and help texts.
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers,
    collect() {
      try {
        this.set(readdirSync('/proc/self/fd').length);
      } catch {
        // Not Linux: no series, as client_golang has none where procfs is missing.
      }
    },
  });
  const limit = (name: string, help: string, row: string) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const limits = readProc('/proc/self/limits');
        const value = limits === undefined ? undefined : procLimit(limits, row);
        if (value !== undefined) this.set(value);
      },
    });
  limit('process_max_fds', 'Maximum number of open file descriptors.', 'Max open files');
  limit(
    'process_virtual_memory_max_bytes',
    'Maximum amount of virtual memory available in bytes.',
    'Max address space',
  );
  new Gauge({
    name: 'process_virtual_memory_bytes',
    help: 'Virtual memory size in bytes.',
    registers,
    collect() {
      const vsize = virtualMemory();
      if (vsize !== undefined) this.set(vsize);
    },
  });
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect() {
      // libuv reads the same /proc/self/stat field (resident pages times the page size).
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    registers,
  }).set(performance.timeOrigin / 1000);
  const network = (name: string, help: string, pick: (o: { in: number; out: number }) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        const octets = netOctets();
        if (octets === undefined) return;
        this.reset();
        this.inc(pick(octets));
      },
    });
  network(
    'process_network_receive_bytes_total',
    'Number of bytes received by the process over the network.',
    (o) => o.in,
  );
  network(
    'process_network_transmit_bytes_total',
    'Number of bytes sent by the process over the network.',
    (o) => o.out,
  );

  // The go_* equivalents (see the module comment for the mapping).
  const heapUsed = (name: string, help: string) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(getHeapStatistics().used_heap_size);
      },
    });
  heapUsed(
    'go_memstats_alloc_bytes',
    'Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.',
  );
  heapUsed(
    'go_memstats_heap_alloc_bytes',
    'Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.',
  );
  new Gauge({
    name: 'go_memstats_heap_inuse_bytes',
    help: 'Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes',
    registers,
    collect() {
      this.set(getHeapStatistics().total_heap_size);
    },
  });
  new Gauge({
    name: 'go_threads',
    help: 'Number of OS threads created.',
    registers,
    collect() {
      const threads = /^Threads:\s+(\d+)/m.exec(readProc('/proc/self/status') ?? '')?.[1];
      if (threads !== undefined) this.set(Number(threads));
    },
  });

  // Node's own, beside them.
  const [major, minor, patch] = process.versions.node.split('.');
  new Gauge({
    name: 'nodejs_version_info',
    help: 'Node.js version info.',
    labelNames: ['version', 'major', 'minor', 'patch'],
    registers,
  }).set({ version: process.version, major, minor, patch }, 1);
  new Gauge({
    name: 'nodejs_active_resources',
    help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
    labelNames: ['type'],
    registers,
    collect() {
      this.reset();
      for (const type of process.getActiveResourcesInfo()) this.inc({ type });
    },
  });
  new Gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Node.js external memory size in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage().external);
    },
  });
}
