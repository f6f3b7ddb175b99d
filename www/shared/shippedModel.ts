// The shipped model as the page downloads it: its compact copy (8-bit layer weights, a quarter
// of the float32 file: src/compact.rs), which the first answer and the engine both load; and its
// summary (scores, the majority digit of each cluster). The float32 file stays in www/model for
// the CLI and the tests.
import weightsUrl from '../model/mixvae.compact.safetensors?url';
import summary from '../model/mixvae.json?raw';

export const SHIPPED_WEIGHTS_URL = weightsUrl;
export const SHIPPED_SUMMARY = summary;
