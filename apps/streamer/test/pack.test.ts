// The published packages as a user gets them: every public @cam package packed with `pnpm pack`,
// the tarballs installed with npm into a directory outside the workspace (third-party deps from
// the npm registry or the npm cache), then the bin and the libraries run from there.
// Native addons come from the tarball's prebuilds when `pnpm --filter … prebuilds` ran, else
// they build from the sources the tarball carries (both are what `npm install` does for users).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { decodeMessage, findParameterSets, isKeyframe } from '@cam/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, openClient, waitFor } from './clients';

const run = promisify(execFile);
const workspace = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'cam-pack-'));
const app = join(dir, 'app');
const shmName = `/cam-pack-${process.pid}`;
// node-gyp builds against this Node's own headers (no download; tests have no internet for it).
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAM_'))),
  npm_config_nodedir: process.env.npm_config_nodedir ?? dirname(dirname(process.execPath)),
};

interface Packed {
  name: string;
  dir: string;
  manifest: Record<string, unknown> & {
    version: string;
    bin?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  tarball: string;
  /** Path inside the tarball (without `package/`) → size in bytes. */
  entries: Map<string, number>;
}

/** Every package the workspace publishes (the private example app is not published). */
function publicPackages(): Packed[] {
  return ['packages', 'apps']
    .flatMap((group) =>
      readdirSync(join(workspace, group)).map((name) => join(workspace, group, name)),
    )
    .map((pkgDir) => {
      const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
      return { name: manifest.name, dir: pkgDir, manifest, tarball: '', entries: new Map() };
    })
    .filter((p) => p.manifest.private !== true);
}

const packed = publicPackages();
const streamerPackage = packed.find((p) => p.name === '@cam/streamer') as Packed;

async function pack(p: Packed): Promise<void> {
  const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', dir], {
    cwd: p.dir,
    env,
  });
  // pnpm prints the prepack/postpack script output before the JSON report.
  p.tarball = JSON.parse(stdout.slice(stdout.indexOf('{'))).filename;
  const { stdout: list } = await run('tar', ['-tvzf', p.tarball]);
  for (const line of list.trim().split('\n')) {
    const [, , size, , , path] = line.split(/\s+/);
    p.entries.set((path as string).replace(/^package\//, ''), Number(size));
  }
}

beforeAll(async () => {
  for (const p of packed) await pack(p);
  mkdirSync(app);
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ private: true, dependencies }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: app,
    env,
    maxBuffer: 16 << 20,
  });
  const sizes = packed.map((p) => {
    const unpacked = [...p.entries.values()].reduce((a, b) => a + b, 0);
    const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    const tgz = readFileSync(p.tarball).length;
    return `${p.name}: ${kib(tgz)} packed, ${kib(unpacked)} unpacked, ${p.entries.size} files`;
  });
  const addons = packed
    .filter((p) => p.manifest.gypfile)
    .map((p) => {
      const built = existsSync(join(app, 'node_modules', p.name, 'build', 'Release'));
      return `${p.name}: ${built ? "built from the tarball's sources" : 'prebuild'}`;
    });
  console.log(
    `packed tarballs (installed in ${app}):\n  ${sizes.join('\n  ')}\n` +
      `native addons installed: ${addons.join(', ')}`,
  );
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** What a package may ship: its build, its manifest and README, and for native ones the sources. */
function allowed(p: Packed, path: string): boolean {
  if (['package.json', 'README.md'].includes(path) || path.startsWith('dist/')) return true;
  // A bin outside dist/ (@cam/streamer's sh wrapper that gives Node its flags).
  if (Object.values(p.manifest.bin ?? {}).includes(`./${path}`)) return true;
  if (!p.manifest.gypfile) return false;
  return (
    path === 'binding.gyp' ||
    /^native\/[a-z]+\/[a-z0-9_]+\.(c|cc|cpp|h)$/.test(path) ||
    /^prebuilds\/linux-(x64|arm64|riscv64)\/[^/]+\.node$/.test(path)
  );
}

describe('packed tarballs', () => {
  it.each(packed.map((p) => [p.name, p] as const))(
    '%s ships what it needs and nothing else',
    (_, p) => {
      const paths = [...p.entries.keys()];
      expect(paths.filter((path) => !allowed(p, path))).toEqual([]);
      expect(
        paths.filter((path) =>
          /(^|\/)(test|fixtures?|build|src)\/|\.(test|spec)\.|tsbuildinfo/.test(path),
        ),
      ).toEqual([]);
      // Every file the manifest points at is in the tarball.
      const pointers = [p.manifest.main, p.manifest.module, p.manifest.types]
        .concat(Object.values((p.manifest.bin as Record<string, string>) ?? {}))
        .concat(JSON.stringify(p.manifest.exports).match(/\.\/dist\/[^"]+/g) ?? []);
      for (const pointer of pointers.filter((x) => x !== undefined)) {
        expect(paths).toContain(String(pointer).replace(/^\.\//, ''));
      }
      // The published manifest names versions, not workspace: ranges.
      const installed = readFileSync(join(app, 'node_modules', p.name, 'package.json'), 'utf8');
      expect(installed).not.toContain('workspace:');
      if (!p.manifest.gypfile) return;
      // Native packages: the sources binding.gyp names, and every prebuild that was built.
      const gyp = readFileSync(join(p.dir, 'binding.gyp'), 'utf8');
      const sources = [...gyp.matchAll(/"<\(native\)\/([^"]+)"/g)].map((m) => `native/${m[1]}`);
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) expect(paths).toContain(source);
      const prebuilds = join(p.dir, 'prebuilds');
      const built = existsSync(prebuilds)
        ? readdirSync(prebuilds, { recursive: true, encoding: 'utf8' }).filter((f) =>
            f.endsWith('.node'),
          )
        : [];
      for (const file of built) expect(paths).toContain(`prebuilds/${file}`);
    },
  );
});

describe('installed from the tarballs', () => {
  const bin = () => join(app, 'node_modules', '.bin', 'cam-streamer');

  it('npx cam-streamer --version prints the version', async () => {
    const { stdout } = await run('npx', ['cam-streamer', '--version'], { cwd: app, env });
    expect(stdout).toBe(`${streamerPackage.manifest.version}\n`);
  });

  it('does not install uws-pack (an optional peer): serves /healthz and frames on ws, into the ring', async () => {
    expect(existsSync(join(app, 'node_modules', 'uws-pack'))).toBe(false);
    const streamer = await start(bin());
    try {
      expect(streamer.implementation).toBe('ws');
      // The bin gives Node --max-semi-space-size=1: 64 + 3 MiB, not 64 + 48 (cli.test.ts).
      expect(streamer.heapLimitMiB).toBeLessThan(64 + 16);
      await checkServes(streamer.port);
      // The reader from the installed @cam/shm, as ESM and as CJS, reads the streamer's ring.
      const esm = `import { ShmReader } from '@cam/shm';
        const reader = ShmReader.open('${shmName}', { start: 'newest-keyframe' });
        for await (const f of reader) { console.log(JSON.stringify({ keyframe: f.keyframe, bytes: f.copy().length })); break; }
        reader.close();`;
      const cjs = `const { ShmReader } = require('@cam/shm');
        const reader = ShmReader.open('${shmName}');
        console.log(JSON.stringify(reader.streamInfo()));
        reader.close();`;
      const fromEsm = await run('node', ['--input-type=module', '-e', esm], { cwd: app, env });
      expect(JSON.parse(fromEsm.stdout)).toMatchObject({ keyframe: true });
      expect(JSON.parse(fromEsm.stdout).bytes).toBeGreaterThan(0);
      const fromCjs = await run('node', ['-e', cjs], { cwd: app, env });
      expect(JSON.parse(fromCjs.stdout)).toMatchObject({ width: 160, height: 120 });
    } finally {
      await streamer.stop();
    }
  });

  it('runs on uWebSockets.js once the user adds uws-pack (the documented opt-in on x64/arm64)', async () => {
    const range = streamerPackage.manifest.peerDependencies?.['uws-pack'];
    expect(range).toBeDefined();
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', `uws-pack@${range}`],
      {
        cwd: app,
        env,
      },
    );
    const streamer = await start(bin());
    try {
      expect(streamer.implementation).toBe('uWebSockets.js');
      await checkServes(streamer.port);
    } finally {
      await streamer.stop();
    }
  }, 120_000);
});

describe('a platform the prebuilds do not cover', () => {
  it('npm install stops with one line naming the platform and what to install', async () => {
    const failing = join(dir, 'no-compiler');
    mkdirSync(failing);
    writeFileSync(join(failing, 'package.json'), JSON.stringify({ private: true }));
    const tarballs = packed.filter((p) =>
      ['@cam/addon-loader', '@cam/protocol', '@cam/shm'].includes(p.name),
    );
    // Forced source build (as where no prebuild fits) with a compiler that always fails.
    const noCompiler = { ...env, CC: '/bin/false', CXX: '/bin/false' };
    const install = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--build-from-source'].concat(
        tarballs.map((p) => p.tarball),
      ),
      { cwd: failing, env: noCompiler, maxBuffer: 16 << 20 },
    );
    const error = await install.then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(error).toBeDefined();
    expect(error?.stderr).toContain(
      `@cam/shm: no prebuild for ${process.platform}-${process.arch} and the source build failed: ` +
        'install python3, make and a C/C++ compiler (Debian: apt-get install build-essential python3), then reinstall',
    );
  });
});

interface Running {
  proc: ChildProcess;
  port: number;
  implementation: string;
  /** V8's heap limit (old + young generation) from the start log. */
  heapLimitMiB: number;
  stop(): Promise<void>;
}

/**
 * Starts the installed bin on the test camera and waits for its start log line. The old
 * generation as the init script sets it, so the start log's heapLimitMiB shows the young one.
 */
async function start(file: string): Promise<Running> {
  const args = ['--source', 'test', '--width', '160', '--height', '120', '--host', '127.0.0.1'];
  args.push('--port', '0', '--rtsp-port', 'none', '--shm-name', shmName, '--log-json');
  const proc = spawn(file, args, {
    cwd: app,
    env: { ...env, NODE_OPTIONS: '--max-old-space-size=64' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let output = '';
  let exited: number | null | undefined;
  proc.on('exit', (code) => {
    exited = code;
  });
  proc.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  let pending = '';
  proc.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    // One JSON object per line; a chunk may end mid-line.
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) logs.push(JSON.parse(line));
  });
  await waitFor('the start log line', () => {
    if (exited !== undefined) throw new Error(`cam-streamer exited ${exited}: ${output}`);
    return logs.some((l) => l.event === 'streamer started');
  });
  const started = logs.find((l) => l.event === 'streamer started') as Record<string, string>;
  return {
    proc,
    port: Number(started.listen?.split(':').pop()),
    implementation: started.server as string,
    heapLimitMiB: Number(started.heapLimitMiB),
    stop: async () => {
      const done = new Promise((resolve) => proc.once('exit', resolve));
      if (exited === undefined) proc.kill('SIGTERM');
      await done;
    },
  };
}

async function checkServes(port: number): Promise<void> {
  const health = await httpGet(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  // The viewer page, which comes from the installed @cam/player's dist/viewer.
  const viewer = await httpGet(`http://127.0.0.1:${port}/`);
  expect(viewer).toMatchObject({ status: 200, type: expect.stringContaining('text/html') });
  const client = await openClient(`ws://127.0.0.1:${port}/`);
  await waitFor('a frame', () => client.messages.length > 0);
  client.ws.close();
  // A joiner starts decodable: SPS, PPS and an IDR in its first message.
  const frame = decodeMessage(client.messages[0]?.data as Buffer);
  expect(isKeyframe(frame.accessUnit)).toBe(true);
  expect(findParameterSets(frame.accessUnit).sps).toBeDefined();
  expect(frame.timestampMs).toBeGreaterThan(0);
}
