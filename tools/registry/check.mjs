// The user's commands against a real npm registry: a local verdaccio, every public @cam package
// published to it exactly as the release does (`changeset publish`, i.e. `pnpm publish` of each
// package with its prepack step and its prebuilds), then, in an empty folder with an empty npm
// cache and only that registry:
//   npx @cam/streamer --version                      prints the workspace's version
//   npx @cam/streamer --source test ...              a WebSocket client gets a decodable keyframe
//   npm install @cam/shm (a plain Node project)      its ShmReader reads the streamer's ring
// and the installed addons are the tarballs' prebuilds (nothing compiled), every prebuild of the
// workspace is in the published tarball.
//   node tools/registry/check.mjs     (after the build and bash tools/prebuild-all.sh)
// Verdaccio (6.8.0: later ones want Node 22; node-fetch overridden to 2.7.0, with which it
// installs on Node 20) is installed once under ~/.cache/camstream/verdaccio, and the packages it
// fetched from registry.npmjs.org for the installs are kept there too: a warm run downloads no
// tarball, and only their metadata once it is a day old. @cam/* never goes to the upstream.
import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const VERDACCIO = '6.8.0';
const run = promisify(execFile);
const root = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const began = performance.now();
const cache = join(homedir(), '.cache', 'camstream', 'verdaccio');
const verdaccioDir = join(cache, VERDACCIO);
const uplinkCache = join(cache, 'uplink-storage');
const work = mkdtempSync(join(tmpdir(), 'cam-registry-'));
/** The streamer's ring; its aliases start with the same name. */
const shmName = `/cam-registry-${process.pid}-ring`;

/** Process groups started here (verdaccio, npx), each with its leader's exit. */
const groups = new Map();
function track(child) {
  groups.set(child.pid, new Promise((resolve) => child.once('exit', resolve)));
}
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {} // already gone
}
/** SIGTERM to each group, SIGKILL after 10 s, and to what is left once its leader ended. */
async function stopAll() {
  await Promise.all(
    [...groups].map(async ([pid, exited]) => {
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      signalGroup(pid, 'SIGKILL');
      groups.delete(pid);
    }),
  );
}
/** Last resort (an exit without stopAll): kill what is left; remove the temp dir and the ring. */
function cleanup() {
  for (const pid of groups.keys()) signalGroup(pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
  for (const f of readdirSync('/dev/shm').filter((f) => f.startsWith(shmName.slice(1)))) {
    rmSync(`/dev/shm/${f}`, { force: true });
  }
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(1));
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (line) => console.log(`registry: ${line}`);
function fail(reason) {
  console.error(
    `registry: FAIL: ${String(reason).replace(/\s*\n\s*/g, ' ')} (after ${seconds(performance.now() - began)})`,
  );
  process.exit(1);
}
function step(name) {
  const from = performance.now();
  return () => log(`${name} in ${seconds(performance.now() - from)}`);
}

/** The public packages of the workspace, as the release publishes them. */
const published = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => p.manifest.private !== true);
for (const p of published) {
  if (!existsSync(join(p.dir, 'dist'))) fail(`${p.dir}/dist missing: build first`);
  if (p.manifest.gypfile && !existsSync(join(p.dir, 'prebuilds', `linux-${process.arch}`))) {
    fail(
      `${p.manifest.name} has no prebuilds/linux-${process.arch}: run bash tools/prebuild-all.sh first`,
    );
  }
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(what, check, timeoutMs) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > end)
      throw new Error(`timed out after ${seconds(timeoutMs)} waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function installVerdaccio() {
  const bin = join(verdaccioDir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  if (existsSync(bin)) return bin;
  const done = step(`installed verdaccio ${VERDACCIO} into ${verdaccioDir}`);
  const staging = `${verdaccioDir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(staging, 'package.json'),
    JSON.stringify({
      private: true,
      dependencies: { verdaccio: VERDACCIO },
      overrides: { 'node-fetch': '2.7.0' },
    }),
  );
  try {
    await run('npm', ['install', '--no-audit', '--no-fund', '--omit=optional'], {
      cwd: staging,
      env: { ...process.env, npm_config_registry: 'https://registry.npmjs.org/' },
      maxBuffer: 16 << 20,
    });
    rmSync(verdaccioDir, { recursive: true, force: true });
    cpSync(staging, verdaccioDir, { recursive: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  done();
  return bin;
}

/** Starts verdaccio on a free port with its storage in the temp dir; resolves with its URL. */
async function startRegistry(bin) {
  const storage = join(work, 'storage');
  if (existsSync(uplinkCache)) cpSync(uplinkCache, storage, { recursive: true });
  else mkdirSync(storage);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  writeFileSync(
    join(work, 'config.yaml'),
    [
      `storage: ${storage}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(work, 'htpasswd')}`,
      'uplinks:',
      '  npmjs:',
      '    url: https://registry.npmjs.org/',
      // Metadata is good for a day: a warm run that day asks the upstream nothing, and a later one
      // still sees a dependency range raised since (the tarballs stay cached regardless).
      '    maxage: 1d',
      '    timeout: 60s',
      'packages:',
      "  '@cam/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    proxy: npmjs',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: pretty, level: warn }',
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    [bin, '--config', join(work, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  track(child);
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  await until(
    'verdaccio to answer /-/ping',
    async () => {
      if (exited) throw new Error(`verdaccio exited: ${output.trim().split('\n').pop()}`);
      return fetch(`${url}-/ping`).then(
        (r) => r.ok,
        () => false,
      );
    },
    60_000,
  );
  return url;
}

/** A user (verdaccio's htpasswd) and an npmrc with its token: what `npm adduser` does. */
async function login(url) {
  const res = await fetch(`${url}-/user/org.couchdb.user:cam`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'cam', password: `cam-${process.pid}`, type: 'user' }),
  });
  const { token } = await res.json();
  if (!token) throw new Error(`verdaccio did not create a user: ${res.status}`);
  const npmrc = join(work, 'npmrc');
  writeFileSync(npmrc, `registry=${url}\n//${new URL(url).host}/:_authToken=${token}\n`);
  return npmrc;
}

/** The environment of every npm/pnpm/npx call: only this registry, an empty cache, no CAM_*. */
function userEnv(url, npmrc) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CAM_') && !/^npm_/i.test(k)),
  );
  return {
    ...env,
    NPM_CONFIG_USERCONFIG: npmrc,
    npm_config_registry: url,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
}

/** What `changeset publish` does in the release job, pointed at the local registry. */
async function publish(env) {
  const { stdout, stderr } = await run('pnpm', ['changeset', 'publish', '--no-git-tag'], {
    cwd: root,
    env,
    maxBuffer: 32 << 20,
  });
  for (const p of published) {
    const meta = await fetch(`${env.npm_config_registry}${p.manifest.name.replace('/', '%2f')}`);
    const versions = meta.ok ? Object.keys((await meta.json()).versions ?? {}) : [];
    if (!versions.includes(p.manifest.version)) {
      throw new Error(
        `${p.manifest.name}@${p.manifest.version} is not on the registry after changeset publish: ${(stdout + stderr).trim().split('\n').slice(-3).join(' ')}`,
      );
    }
  }
}

/** Every prebuild the workspace built is in the package's published tarball. */
async function checkTarballs() {
  const lines = [];
  for (const p of published.filter((x) => x.manifest.gypfile)) {
    const [scope, name] = p.manifest.name.split('/');
    const tarball = join(work, 'storage', scope, name, `${name}-${p.manifest.version}.tgz`);
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const inTarball = new Set(stdout.split('\n').map((l) => l.replace(/^package\//, '')));
    const built = readdirSync(join(p.dir, 'prebuilds'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.node'))
      .map((f) => `prebuilds/${f}`);
    const missing = built.filter((f) => !inTarball.has(f));
    if (missing.length > 0)
      throw new Error(`${p.manifest.name}'s published tarball lacks ${missing.join(', ')}`);
    lines.push(`${p.manifest.name}: ${built.map((f) => f.replace(/^prebuilds\//, '')).join(' ')}`);
  }
  return lines;
}

/** npx @cam/streamer as a user runs it, in its own process group; resolves at 'streamer started'. */
async function startStreamer(dir, env) {
  const args = ['--yes', '@cam/streamer', '--source', 'test', '--width', '160', '--height', '120'];
  args.push(
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--rtsp-port',
    'none',
    '--shm-name',
    shmName,
    '--log-json',
  );
  const child = spawn('npx', args, {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stderr = '';
  let pending = '';
  let started;
  let exited;
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.on('exit', (code, signal) => {
    exited = signal ?? code;
  });
  child.stdout.on('data', (d) => {
    const lines = (pending + d).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line);
        if (entry.event === 'streamer started') started = entry;
      } catch {}
    }
  });
  const entry = await until(
    'npx @cam/streamer to listen',
    () => {
      if (exited !== undefined)
        throw new Error(`npx @cam/streamer exited (${exited}): ${stderr.trim().split('\n').pop()}`);
      return started;
    },
    180_000,
  );
  return { child, port: Number(String(entry.listen).split(':').pop()) };
}

/** One WebSocket message from the streamer, checked to start with an SPS and an IDR. */
async function firstFrame(dir, port) {
  const script = `
    const WebSocket = require('ws');
    const ws = new WebSocket('ws://127.0.0.1:${port}/');
    ws.on('message', (data) => { console.log(data.toString('base64')); ws.close(); });
    ws.on('error', (e) => { console.error(e.message); process.exit(1); });
    setTimeout(() => { console.error('no frame within 20 s'); process.exit(1); }, 20000).unref();`;
  // ws as the installed streamer has it (a dependency of @cam/streamer in the npx install).
  const streamerDir = join(dir, 'node_modules', '@cam', 'streamer');
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: streamerDir });
  const { decodeMessage, findParameterSets, isKeyframe } = await import(
    join(root, 'packages/protocol/dist/index.js')
  );
  const frame = decodeMessage(Buffer.from(stdout.trim(), 'base64'));
  if (!isKeyframe(frame.accessUnit) || !findParameterSets(frame.accessUnit).sps) {
    throw new Error("a joiner's first WebSocket frame is not a keyframe with its SPS");
  }
  return frame.accessUnit.length;
}

try {
  let done = step('verdaccio ready');
  const bin = await installVerdaccio();
  const url = await startRegistry(bin);
  const npmrc = await login(url);
  const env = userEnv(url, npmrc);
  done();

  done = step(
    `published ${published.map((p) => p.manifest.name).join(', ')} with changeset publish`,
  );
  await publish(env);
  done();
  for (const line of await checkTarballs()) log(`published prebuilds of ${line}`);

  done = step('npx @cam/streamer --version in an empty folder with an empty npm cache');
  const userDir = join(work, 'user');
  mkdirSync(userDir);
  const version = (
    await run('npx', ['--yes', '@cam/streamer', '--version'], { cwd: userDir, env })
  ).stdout.trim();
  const expected = published.find((p) => p.manifest.name === '@cam/streamer').manifest.version;
  if (version !== expected)
    throw new Error(`npx @cam/streamer --version printed '${version}', expected ${expected}`);
  done();

  done = step('npx @cam/streamer --source test: listening');
  const streamer = await startStreamer(userDir, env);
  done();
  // npx installed into its cache's _npx/<hash>: where the streamer's own packages are.
  const npxRoot = join(work, 'npm-cache', '_npx');
  const installed = join(npxRoot, readdirSync(npxRoot)[0]);
  const compiled = ['shm', 'sdk-native', 'send'].filter((n) =>
    existsSync(join(installed, 'node_modules', '@cam', n, 'build')),
  );
  if (compiled.length > 0)
    throw new Error(`npx compiled @cam/${compiled.join(', @cam/')} instead of using the prebuilds`);
  done = step('a WebSocket frame from it');
  const bytes = await firstFrame(installed, streamer.port);
  done();

  done = step('npm install @cam/shm in a plain Node project, its reader reads the ring');
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  await run('npm', ['install', '@cam/shm'], { cwd: consumer, env, maxBuffer: 16 << 20 });
  const read = `import { ShmReader } from '@cam/shm';
    const reader = ShmReader.open('${shmName}', { start: 'newest-keyframe' });
    const timer = setTimeout(() => reader.close(), 20000);
    for await (const f of reader) { console.log(JSON.stringify({ keyframe: f.keyframe, bytes: f.copy().length, ...reader.streamInfo(), sps: undefined, pps: undefined })); break; }
    clearTimeout(timer);
    reader.close();`;
  const { stdout: ring } = await run(process.execPath, ['--input-type=module', '-e', read], {
    cwd: consumer,
    env,
  });
  const frame = ring.trim() ? JSON.parse(ring) : {};
  if (!frame.keyframe || !(frame.bytes > 0) || frame.width !== 160) {
    throw new Error(
      `the installed @cam/shm read no keyframe of the 160x120 stream from ${shmName}: ${ring.trim() || 'nothing'}`,
    );
  }
  done();

  // Keep what verdaccio fetched from the upstream registry for the next run (never @cam/*).
  mkdirSync(uplinkCache, { recursive: true });
  for (const entry of readdirSync(join(work, 'storage'))) {
    if (entry === '@cam' || entry.startsWith('.')) continue;
    cpSync(join(work, 'storage', entry), join(uplinkCache, entry), { recursive: true });
  }
  await stopAll();
  log(
    `npx @cam/streamer ${version} from the local registry streamed (first WebSocket frame: a ${bytes}-byte keyframe), ` +
      `npm install @cam/shm read a ${frame.bytes}-byte keyframe from its ring; passed in ${seconds(performance.now() - began)}`,
  );
} catch (error) {
  await stopAll();
  fail(error.message);
}
process.exit(0);
