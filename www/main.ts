// Shows the shipped model's summary (written by `mixvae export`) until the wasm worker lands.

interface Scores { accuracy: number; nmi: number; ari: number; silhouette: number; clusters_used: number }
interface ModelSummary {
  model: { components: number; latent_dim: number };
  test_scores: Scores | null;
  cluster_majority: ([number, number] | null)[];
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

async function showModelCard(): Promise<void> {
  const status = document.querySelector<HTMLElement>('[data-testid="model-status"]')!;
  try {
    const response = await fetch(new URL('./model/mixvae.json', import.meta.url));
    if (!response.ok) throw new Error(`model summary: HTTP ${response.status}`);
    const summary = (await response.json()) as ModelSummary;
    status.textContent = `K = ${summary.model.components} clusters, latent width d = ${summary.model.latent_dim}.`;
    const scores = summary.test_scores;
    const rows: [string, string][] = scores
      ? [
          ['Accuracy (Hungarian)', percent(scores.accuracy)],
          ['NMI', scores.nmi.toFixed(3)],
          ['ARI', scores.ari.toFixed(3)],
          ['Silhouette', scores.silhouette.toFixed(3)],
        ]
      : [];
    document.getElementById('model-scores')!.replaceChildren(
      ...rows.flatMap(([name, value]) => [Object.assign(document.createElement('dt'), { textContent: name }),
        Object.assign(document.createElement('dd'), { textContent: value })]),
    );
    document.getElementById('cluster-list')!.replaceChildren(
      ...summary.cluster_majority.map((entry) => {
        const item = document.createElement('li');
        item.textContent = entry ? `mostly ${entry[0]}s (${percent(entry[1])})` : 'empty';
        return item;
      }),
    );
  } catch (error) {
    status.textContent = `Could not load the model summary: ${(error as Error).message}`;
    status.classList.add('error');
  }
}

void showModelCard();
