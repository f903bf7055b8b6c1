// The one loader of camstream's native addons (@cam/shm, @cam/sdk-native, @cam/send). It tries, in order:
//   1. the package's local node-gyp build (build/Release/*.node), but only when that file is an
//      ELF built for this machine's architecture: a cross build leaves another architecture's
//      file there, which would fail to load or shadow the right prebuild;
//   2. the prebuilds node-gyp-build would pick (prebuilds/<platform>-<arch>/, tags napi, abi,
//      libc...), with the C library taken from Node itself, not from /etc/alpine-release:
//      a Buildroot board (the reCamera) runs musl without that file.
// When nothing loads, one line names every file tried and why each failed or was skipped.
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type Libc = 'glibc' | 'musl';

export interface Target {
  platform: string;
  arch: string;
  libc: Libc;
}

/**
 * The C library of the running Node: its report names the glibc it runs on
 * (header.glibcVersionRuntime) and has no such entry on musl.
 */
export function detectLibc(): Libc {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The machine this Node runs on. */
export function currentTarget(): Target {
  return { platform: process.platform, arch: process.arch, libc: detectLibc() };
}

// ELF e_machine values (the System V ABI's registry) by Node's process.arch.
const elfMachines: Record<string, number> = {
  ia32: 3,
  arm: 40,
  x64: 62,
  arm64: 183,
  riscv64: 243,
  loong64: 258,
  ppc64: 21,
  s390x: 22,
};

/**
 * The Node architecture (process.arch naming) an ELF file is built for, 'not ELF' for anything
 * else, or `machine N` for an ELF machine Node has no name for.
 */
export function elfArch(file: string): string {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read < header.length || header.readUInt32BE(0) !== 0x7f454c46) return 'not ELF';
  // EI_DATA (byte 5): 1 little-endian, 2 big-endian; e_machine is the u16 at byte 18.
  const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  const arch = Object.keys(elfMachines).find((name) => elfMachines[name] === machine);
  return arch ?? `machine ${machine}`;
}

/** The parts of node-gyp-build (a CommonJS module without types) the selection reuses. */
interface PrebuildTags {
  file: string;
  libc?: string;
}
interface NodeGypBuild {
  parseTuple(name: string): { name: string } | undefined;
  matchTuple(platform: string, arch: string): (tuple: unknown) => boolean;
  compareTuples(a: unknown, b: unknown): number;
  parseTags(file: string): PrebuildTags | undefined;
  matchTags(runtime: string, abi: string): (tags: PrebuildTags) => boolean;
  compareTags(runtime: string): (a: PrebuildTags, b: PrebuildTags) => number;
}
const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as NodeGypBuild;

function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** What may be loaded, best first, and what was passed over (with the reason). */
export interface Candidates {
  files: string[];
  skipped: string[];
}

/**
 * The files loadAddon tries for `target`: a local build of the target's architecture, then the
 * prebuilds node-gyp-build's rules match (platform-arch directory, runtime, N-API/ABI), with
 * libc-tagged files only of the target's libc, most specific first.
 */
export function addonCandidates(root: string, target: Target): Candidates {
  const files: string[] = [];
  const skipped: string[] = [];
  const release = join(root, 'build', 'Release');
  for (const name of list(release).filter((f) => f.endsWith('.node'))) {
    const file = join(release, name);
    const arch = elfArch(file);
    if (arch === target.arch) files.push(file);
    else skipped.push(`${file}: built for ${arch}, this is ${target.arch}`);
  }
  const prebuilds = join(root, 'prebuilds');
  const tuple = list(prebuilds)
    .map(nodeGypBuild.parseTuple)
    .filter(nodeGypBuild.matchTuple(target.platform, target.arch))
    .sort(nodeGypBuild.compareTuples)[0] as { name: string } | undefined;
  if (tuple) {
    const dir = join(prebuilds, tuple.name);
    // node-gyp-build matches libc against its own guess (musl only with /etc/alpine-release):
    // match the rest with its rules and the libc here.
    const matches = nodeGypBuild.matchTags('node', process.versions.modules);
    const tagged = list(dir)
      .map(nodeGypBuild.parseTags)
      .filter((tags): tags is PrebuildTags => tags !== undefined)
      .filter((tags) => (tags.libc ?? target.libc) === target.libc)
      .filter((tags) => matches({ ...tags, libc: undefined }))
      .sort(nodeGypBuild.compareTags('node'));
    files.push(...tagged.map((tags) => join(dir, tags.file)));
  }
  return { files, skipped };
}

/**
 * Loads the addon of the package at `root` (the directory with package.json, build/ and
 * prebuilds/). Throws an Error whose one-line message names the target and every file tried.
 */
export function loadAddon<T>(root: string, target: Target = currentTarget()): T {
  const { files, skipped } = addonCandidates(root, target);
  const require = createRequire(join(root, 'package.json'));
  const failures = [...skipped];
  for (const file of files) {
    try {
      return require(file) as T;
    } catch (error) {
      failures.push(`${file}: ${(error as Error).message.replace(/\s+/g, ' ').trim()}`);
    }
  }
  throw new Error(
    `no native addon loads for ${target.platform}-${target.arch} ${target.libc} ` +
      `(Node ${process.versions.node}) in ${root}: ` +
      (failures.length > 0
        ? `tried ${failures.join('; ')}`
        : 'no build/Release and no matching prebuild'),
  );
}

/**
 * What a user does when `pkg`'s addon does not load (the end of its NATIVE_UNAVAILABLE message):
 * get a release with a prebuild for the machine, or build it from source.
 */
export function addonUnavailableFix(pkg: string): string {
  return (
    'Install a release with a prebuild for this machine, or build from source: ' +
    `apt-get install build-essential python3 && pnpm --filter ${pkg} build`
  );
}

/**
 * The `code` of an error a camstream addon threw: both addons throw an Error with a string
 * `code` (e.g. `EACCES`, `DEVICE_BUSY`), which each package maps to its own error class.
 * Undefined for anything else (a JavaScript error, a thrown non-Error).
 */
export function addonErrorCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
