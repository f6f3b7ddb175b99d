// The Train form: a preset (quick, or the shipped model's full recipe) with what it takes and
// what it reaches, the ten numbers and the augmentation switch behind an "advanced" fold, the
// browser's own checks, and an estimate of the run's length from the speed measured here. The
// fields, their bounds and the presets are the core's (src/recipe.rs, `train_form`), written to
// www/generated/train-form.json by a Rust test that fails when the file differs.
import generated from '../generated/train-form.json';
import { byId, seconds } from '../shared/ui';
import type { TrainSettings } from '../worker/worker';

/** One number of the form, as src/recipe.rs's `FieldSpec`. */
interface FieldSpec {
  name: string;
  label: string;
  min: number;
  max: number | null;
  whole: boolean;
}

/** The form as the core describes it (`recipe::train_form`). */
const spec = generated as unknown as { fields: FieldSpec[]; quick: TrainSettings; full: TrainSettings };

/** The numbers a preset sets (the seed stays the user's). */
type Recipe = Omit<TrainSettings, 'seed'>;
type PresetName = 'quick' | 'full';

interface Preset {
  recipe: Recipe;
  /** How it appears in the preset menu. */
  title: string;
  /** What it reaches, measured (docs/experiments.md: "Results" and the page recipe's seeds). */
  reaches: string;
}

/** The preset without its seed. */
function recipeOf({ seed: _seed, ...recipe }: TrainSettings): Recipe {
  return recipe;
}

export const PRESETS: Record<PresetName, Preset> = {
  quick: {
    recipe: recipeOf(spec.quick),
    title: 'Quick',
    reaches: 'about 0.935 test accuracy (0.931–0.941 over five seeds, run natively on the CPU)',
  },
  full: {
    recipe: recipeOf(spec.full),
    title: 'Full: the shipped model’s recipe',
    reaches: 'about 0.97 test accuracy (0.963–0.974 over five seeds, run natively on the CPU; the shipped model scores 0.9725)',
  },
};

/** What the form shows of a preset: its numbers but the seed, and the augmentation switch. */
const SHOWN = [...spec.fields.map(({ name }) => name).filter((name) => name !== 'seed'), 'augment'] as (keyof Recipe)[];

/** Training images per epoch (MNIST's training set). */
const IMAGES_PER_EPOCH = 60_000;
/** Until a run here has been timed: the page's CPU worker training a Quick run on a 2-core
 *  Intel Xeon server, the Train section in view (docs/experiments.md: 2,099 images/s). */
const REFERENCE_IMAGES_PER_SECOND = 2_099;
const SPEED_KEY = 'mixvae.trainImagesPerSecond';
/** Steps a run must have taken here before its speed replaces the estimate's. */
const MIN_STEPS_TIMED = 100;
/** On a backend that trains the Full preset in at most this long, the form starts with it. */
const FULL_BY_DEFAULT_SECONDS = 10 * 60;
/** WebGPU's training speed timed by the worker when it chose its backend (a few steps at batch
 *  128): the estimates' basis until a run here has been timed. */
let backendImagesPerSecond: number | null = null;

/** The form's fields, as the core describes them, filled with the Quick preset; the menu's
 *  preset titles with their epochs. */
function buildFields(presetSelect: HTMLSelectElement): void {
  const fields = byId('train-fields');
  for (const field of spec.fields) {
    const input = Object.assign(document.createElement('input'), { name: field.name, type: 'number', required: true });
    input.min = String(field.min);
    if (field.max !== null) input.max = String(field.max);
    input.step = field.whole ? '1' : 'any';
    input.value = String(spec.quick[field.name as keyof TrainSettings]);
    const label = document.createElement('label');
    label.append(`${field.label} `, input);
    fields.append(label);
  }
  const augment = Object.assign(document.createElement('input'), { name: 'augment', type: 'checkbox', checked: spec.quick.augment });
  const switchLabel = Object.assign(document.createElement('label'), { className: 'switch' });
  switchLabel.append(augment, ' Distort the digits (augmentation)');
  fields.append(switchLabel);
  for (const [name, preset] of Object.entries(PRESETS)) {
    const option = presetSelect.querySelector(`option[value=${name}]`);
    if (option) option.textContent = `${preset.title} (${stagesOf(preset.recipe)} epochs)`;
  }
}

export interface TrainForm {
  read(): TrainSettings;
  fill(settings: TrainSettings): void;
  /** The first field the browser finds invalid, with its label and the browser's message (the
   *  browser also marks it); null when all are valid. The core checks the values again. */
  invalid(): string | null;
  setEnabled(enabled: boolean): void;
  /** A run here trained at this speed over `steps` steps: later estimates use it. */
  measured(imagesPerSecond: number, steps: number): void;
  /** The worker timed WebGPU at this speed and trains on it: estimates use it until a run here
   *  is timed, and where the Full preset takes at most FULL_BY_DEFAULT_SECONDS the form holding
   *  the Quick preset switches to Full. */
  gpuMeasured(imagesPerSecond: number): void;
}

export function setupTrainForm(): TrainForm {
  const form = byId<HTMLFormElement>('train-form');
  const presetSelect = byId<HTMLSelectElement>('train-preset');
  buildFields(presetSelect);
  const inputs = [...form.querySelectorAll('input')];
  const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;

  const read = () => readSettings(field);

  function fill(settings: Partial<TrainSettings>): void {
    for (const [name, value] of Object.entries(settings)) {
      const input = form.elements.namedItem(name) as HTMLInputElement | null;
      if (input?.type === 'checkbox') input.checked = Boolean(value);
      else if (input) input.value = String(value);
    }
    describe();
  }

  function describe(): void {
    presetSelect.value = matchingPreset(read());
    const preset = PRESETS[presetSelect.value as keyof typeof PRESETS] as Preset | undefined;
    byId('train-estimate').textContent = `${estimate(read())}${preset ? `; reaches ${preset.reaches}` : ''}.`;
  }

  presetSelect.addEventListener('change', () => {
    const preset = PRESETS[presetSelect.value as keyof typeof PRESETS] as Preset | undefined;
    if (preset) fill(preset.recipe);
  });
  // A number changed by hand: the preset follows the numbers (the select's own input is above).
  form.addEventListener('input', (event) => {
    if (event.target !== presetSelect) describe();
  });
  describe();

  return {
    read,
    fill,
    invalid: () => firstInvalid(form, inputs),
    setEnabled(enabled: boolean): void {
      for (const input of inputs) input.disabled = !enabled;
      presetSelect.disabled = !enabled;
    },
    measured(imagesPerSecond: number, steps: number): void {
      // A few steps are mostly start-up (the first chunk, the data): not a speed.
      if (!(imagesPerSecond > 0) || steps < MIN_STEPS_TIMED) return;
      localStorage.setItem(SPEED_KEY, String(imagesPerSecond));
      describe();
    },
    gpuMeasured(imagesPerSecond: number): void {
      if (!(imagesPerSecond > 0)) return;
      backendImagesPerSecond = imagesPerSecond;
      const fullSeconds = (epochsOf(PRESETS.full.recipe) * IMAGES_PER_EPOCH) / imagesPerSecond;
      if (matchingPreset(read()) === 'quick' && fullSeconds <= FULL_BY_DEFAULT_SECONDS) fill(PRESETS.full.recipe);
      else describe();
    },
  };
}

/** The form's values (`field` finds an input by name); what it does not show (how the codes are
 *  grouped) is the preset's whose numbers they are, else the Quick preset's. */
function readSettings(field: (name: string) => HTMLInputElement): TrainSettings {
  const numbers = Object.fromEntries(spec.fields.map(({ name }) => [name, Number(field(name).value)]));
  const shown = { ...numbers, augment: field('augment').checked } as Partial<TrainSettings>;
  const preset = PRESETS[matchingPreset(shown) as PresetName] as Preset | undefined;
  return { ...spec.quick, ...preset?.recipe, ...shown } as TrainSettings;
}

/** The preset the numbers `now` match, or 'custom'. */
function matchingPreset(now: Partial<TrainSettings>): string {
  const matches = ([, preset]: [string, Preset]) => SHOWN.every((k) => now[k] === preset.recipe[k]);
  return Object.entries(PRESETS).find(matches)?.[0] ?? 'custom';
}

/** The first of `inputs` the browser finds invalid, as "label: the browser's message", shown
 *  and marked by the browser; null when all are valid. */
function firstInvalid(form: HTMLFormElement, inputs: HTMLInputElement[]): string | null {
  const input = inputs.find((i) => !i.checkValidity());
  if (!input) return null;
  input.closest('details')?.setAttribute('open', ''); // the browser can only point at a visible field
  form.reportValidity();
  const label = input.closest('label')?.firstChild?.textContent?.trim() ?? input.name;
  return `${label}: ${input.validationMessage}`;
}

/** Training epochs in all, the stages after pretraining counted only when there is pretraining
 *  (`TrainingConfig::total_epochs`: without pretraining the mixture is not placed from the
 *  codes, and no stage is anchored). */
export function epochsOf(s: Recipe): number {
  return s.pretrain_epochs + (s.pretrain_epochs > 0 ? s.anchor_epochs + (s.self_training_epochs ?? 0) : 0) + s.mixture_epochs;
}

/** "10 + 6" or "35 + 16 + 32": the epochs of each stage a recipe runs. */
function stagesOf(s: Recipe): string {
  const stages = [s.pretrain_epochs, s.anchor_epochs, s.self_training_epochs ?? 0, s.mixture_epochs];
  return stages.filter((epochs) => epochs > 0).join(' + ');
}

/** "About 2 min 50 s of training here" for `s`, from the speed last measured in this browser. */
function estimate(s: TrainSettings): string {
  const stored = Number(localStorage.getItem(SPEED_KEY));
  const speed = stored > 0 ? stored : (backendImagesPerSecond ?? REFERENCE_IMAGES_PER_SECOND);
  const epochs = epochsOf(s);
  const time = (epochs * IMAGES_PER_EPOCH) / speed;
  if (!Number.isFinite(time)) return 'Fill in every field';
  const basis =
    stored > 0
      ? 'at the speed of the last run here'
      : backendImagesPerSecond
        ? 'at the speed this GPU was timed at when the page started'
        : 'at the reference CPU’s speed (2 cores of an Intel Xeon server; a run here puts this browser’s in its place)';
  return `${epochs} epoch${epochs === 1 ? '' : 's'}: about ${seconds(time)} of training ${basis}`;
}
