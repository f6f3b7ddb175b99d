// The map's frames, one per epoch of a training run, and a slider that replays them: the
// clusters forming out of one blob. Frames are PCA layouts; each is turned to face the way the
// previous one did (PCA's axes have no sign of their own), so the replay does not flip.
import { byId } from '../shared/ui';

export interface Frame {
  label: string;
  positions: Float32Array;
  clusters: Uint32Array;
}

export interface MapReplay {
  /** Keeps `frame` as the latest (a new run starts from `clear`). */
  add(frame: Frame): void;
  clear(): void;
}

/** `show` draws a frame; null goes back to the live map. */
export function setupMapReplay(show: (frame: Frame | null) => void): MapReplay {
  const panel = byId('map-replay');
  const slider = byId<HTMLInputElement>('replay-slider');
  const label = byId('replay-label');
  const play = byId<HTMLButtonElement>('replay-button');
  const frames: Frame[] = [];
  let timer: number | undefined;

  function showAt(index: number): void {
    slider.value = String(index);
    const frame = frames[index];
    label.textContent = frame ? frame.label : '';
    panel.dataset.frame = String(index);
    // The last frame is the model as it is now: the live map, with scores and the pin.
    show(index >= frames.length - 1 ? null : frame);
  }

  function stop(): void {
    clearInterval(timer);
    timer = undefined;
    play.textContent = 'Replay';
  }

  play.addEventListener('click', () => {
    if (timer !== undefined) return stop();
    play.textContent = 'Stop';
    let index = 0;
    showAt(index);
    timer = window.setInterval(() => {
      index += 1;
      showAt(index);
      if (index >= frames.length - 1) stop();
    }, 700);
  });
  slider.addEventListener('input', () => {
    stop();
    showAt(Number(slider.value));
  });

  return {
    add(frame: Frame): void {
      const previous = frames.at(-1);
      frames.push(previous ? faceLike(frame, previous) : frame);
      slider.max = String(frames.length - 1);
      slider.value = slider.max;
      label.textContent = frame.label;
      panel.hidden = frames.length < 2;
      panel.dataset.frames = String(frames.length);
    },
    clear(): void {
      stop();
      frames.length = 0;
      panel.hidden = true;
      delete panel.dataset.frames;
    },
  };
}

/** `frame` with each axis flipped where that brings its points closer to `previous`'s. */
function faceLike(frame: Frame, previous: Frame): Frame {
  const n = Math.min(frame.positions.length, previous.positions.length) / 2;
  const positions = frame.positions.slice();
  for (const axis of [0, 1]) {
    let agreement = 0;
    for (let i = 0; i < n; i++) agreement += positions[2 * i + axis] * previous.positions[2 * i + axis];
    if (agreement < 0) for (let i = 0; i < positions.length / 2; i++) positions[2 * i + axis] *= -1;
  }
  return { ...frame, positions };
}
