// The page the streamer serves at `/`: plays the stream of the server it came from, says what is
// wrong in words, and has controls. `?decoder=webcodecs|jmuxer` picks the decoder tried first,
// `?token=` is passed on, `?channel=N` plays channel N of a streamer with channels; a selector
// lists them (from /api/channels) when there is more than one.
import { createPlayer, type Player, type PlayerStats } from '../index';
import { bindControls } from './controls';
import { formatCompact, formatDetails } from './overlay';

declare global {
  interface Window {
    /** The page's player, for a look from the devtools console (and for the browser tests). */
    camPlayer?: Player;
  }
}

const params = new URLSearchParams(location.search);
const asked = params.get('decoder');
const decoder = asked === 'jmuxer' || asked === 'webcodecs' ? asked : 'auto';
const byId = (id: string) => document.getElementById(id) as HTMLElement;
const overlay = byId('overlay');
const message = byId('message');
let details = false;
let last: PlayerStats | null = null;

function render(stats: PlayerStats | null): void {
  if (stats) last = stats;
  if (!last) return;
  overlay.classList.toggle('details', details);
  overlay.textContent = details ? formatDetails(last) : formatCompact(last);
  showMessage(last.problem?.message ?? null);
}

function showMessage(text: string | null): void {
  message.hidden = text === null;
  message.textContent = text ?? '';
  message.classList.toggle('bad', text !== null);
}

const asking = params.get('channel');
const channel = asking !== null && /^\d{1,3}$/.test(asking) ? Number(asking) : undefined;
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
void listChannels();
try {
  const player = createPlayer(byId('stage'), url, {
    decoder,
    token: params.get('token') ?? undefined,
    ...(channel === undefined ? {} : { channel }),
    onStats: render,
  });
  window.camPlayer = player;
  bindControls(player, {
    toggleDetails: () => {
      details = !details;
      render(null);
    },
    onError: (text) => showMessage(text),
  });
} catch (e) {
  overlay.textContent = 'cannot play';
  showMessage(`cannot play: ${e instanceof Error ? e.message : String(e)}`);
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
