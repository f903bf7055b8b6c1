// The viewer's buttons and their keys: pause / go live (space, k), snapshot (s), picture in
// picture (p, where the browser has it), fullscreen (f), details (i).
import type { Player } from '../index';

interface Hooks {
  toggleDetails(): void;
  /** A control failed: say so on the page. */
  onError(text: string): void;
}

export function bindControls(player: Player, hooks: Hooks): void {
  const button = (id: string) => document.getElementById(id) as HTMLButtonElement;
  const live = button('live');
  const pip = button('pip');
  const report = (what: string) => (e: unknown) =>
    hooks.onError(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);

  const togglePause = () => {
    const paused = !player.stats().paused;
    if (paused) player.pause();
    else player.goLive();
    live.firstChild?.replaceWith(paused ? 'Go live ' : 'Pause ');
    live.title = paused ? 'Go live (space)' : 'Pause (space)';
  };
  const snapshot = () => void saveSnapshot(player).catch(report('snapshot'));
  const fullscreen = () => {
    const done = document.fullscreenElement
      ? document.exitFullscreen()
      : document.documentElement.requestFullscreen();
    void done.catch(report('fullscreen'));
  };
  const pictureInPicture = () =>
    void togglePictureInPicture(player).catch(report('picture in picture'));

  pip.hidden = !pictureInPictureAvailable();
  live.addEventListener('click', togglePause);
  button('snapshot').addEventListener('click', snapshot);
  pip.addEventListener('click', pictureInPicture);
  button('fullscreen').addEventListener('click', fullscreen);
  button('info').addEventListener('click', hooks.toggleDetails);

  const keys: Record<string, () => void> = {
    ' ': togglePause,
    k: togglePause,
    s: snapshot,
    f: fullscreen,
    i: hooks.toggleDetails,
    ...(pip.hidden ? {} : { p: pictureInPicture }),
  };
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const action = keys[e.key.toLowerCase()];
    if (!action) return;
    e.preventDefault(); // space would also press the focused button
    action();
  });
}

async function saveSnapshot(player: Player): Promise<void> {
  const blob = await player.snapshot();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  link.download = `camstream-${stamp}.png`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/**
 * Picture in picture needs the browser's API (Chromium and Firefox have it, headless too) and,
 * for the WebCodecs <canvas>, `captureStream()` (every browser with the API has it). The decoder
 * is not known yet when the controls are bound and may change (fallback), so both are required.
 */
function pictureInPictureAvailable(): boolean {
  return (
    document.pictureInPictureEnabled === true &&
    'requestPictureInPicture' in HTMLVideoElement.prototype &&
    'captureStream' in HTMLCanvasElement.prototype
  );
}

/** A <video> goes into picture in picture itself; a canvas through a video of its stream. */
async function togglePictureInPicture(player: Player): Promise<void> {
  if (document.pictureInPictureElement) {
    await document.exitPictureInPicture();
    return;
  }
  const picture = player.element();
  if (!picture) throw new Error('nothing is shown yet');
  if (picture instanceof HTMLVideoElement) {
    await picture.requestPictureInPicture();
    return;
  }
  // A new <video> each time, off the page: it captures the canvas only while in picture in
  // picture (a capture costs a copy of every frame), and stops when the window closes.
  const stream = picture.captureStream();
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = stream;
  const release = () => {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  video.addEventListener('leavepictureinpicture', release, { once: true });
  try {
    await video.play();
    await video.requestPictureInPicture();
  } catch (e) {
    release();
    throw e;
  }
}
