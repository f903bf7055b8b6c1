// The page the streamer serves at `/`: plays the stream of the server it came from and shows
// what the stream is doing. `?decoder=webcodecs|jmuxer` picks the path, `?token=` is passed on.
import { createPlayer, type DecoderKind, type Player, preferredDecoder } from '../index';
import { formatStats } from './overlay';

declare global {
  interface Window {
    /** The page's player, for a look from the devtools console (and for the browser tests). */
    camPlayer?: Player;
  }
}

const params = new URLSearchParams(location.search);
const asked = params.get('decoder');
const decoder: DecoderKind =
  asked === 'jmuxer' || asked === 'webcodecs' ? asked : preferredDecoder();
const overlay = document.getElementById('overlay') as HTMLPreElement;
const picture = document.createElement(decoder === 'webcodecs' ? 'canvas' : 'video');
picture.id = 'picture';
document.getElementById('stage')?.append(picture);

const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
try {
  window.camPlayer = createPlayer(picture, url, {
    decoder,
    token: params.get('token') ?? undefined,
    onStats: (stats) => {
      overlay.textContent = formatStats(stats);
    },
  });
} catch (e) {
  overlay.textContent = `cannot play: ${e instanceof Error ? e.message : String(e)}`;
  overlay.classList.add('bad');
}
