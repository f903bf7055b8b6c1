// The page the streamer serves at `/`: plays the stream of the server it came from and shows
// what the stream is doing. `?decoder=webcodecs|jmuxer` picks the path, `?token=` is passed on,
// `?channel=N` plays channel N of a streamer with channels; a selector lists them (from
// /api/channels) when there is more than one.
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

const asking = params.get('channel');
const channel = asking !== null && /^\d{1,3}$/.test(asking) ? Number(asking) : undefined;
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
void listChannels();
try {
  window.camPlayer = createPlayer(picture, url, {
    decoder,
    token: params.get('token') ?? undefined,
    ...(channel === undefined ? {} : { channel }),
    onStats: (stats) => {
      overlay.textContent = formatStats(stats);
    },
  });
} catch (e) {
  overlay.textContent = `cannot play: ${e instanceof Error ? e.message : String(e)}`;
  overlay.classList.add('bad');
}

interface ChannelEntry {
  id: number;
  name: string;
  fps: number;
  websocket_url: string | null;
  active: boolean;
}

/** Fills the channel selector from /api/channels; picking one reloads the page with ?channel=. */
async function listChannels(): Promise<void> {
  const select = document.getElementById('channel') as HTMLSelectElement | null;
  if (!select) return;
  const api = new URL('/api/channels', location.href);
  const token = params.get('token');
  if (token) api.searchParams.set('token', token);
  let channels: ChannelEntry[];
  try {
    const res = await fetch(api);
    if (!res.ok) return; // an older streamer: no channels to pick
    ({ channels } = (await res.json()) as { channels: ChannelEntry[] });
  } catch {
    return;
  }
  const playable = channels.filter((c) => c.active && c.websocket_url !== null);
  if (playable.length < 2) return;
  for (const c of playable) {
    const option = document.createElement('option');
    option.value = String(c.id);
    option.textContent = `${c.id}: ${c.name} @ ${c.fps}`;
    option.selected = c.id === (channel ?? 0);
    select.append(option);
  }
  select.hidden = false;
  select.addEventListener('change', () => {
    params.set('channel', select.value);
    location.search = params.toString();
  });
}
