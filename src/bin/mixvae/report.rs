//! What commands print: progress bars, and the scores as text or JSON.

use indicatif::{ProgressBar, ProgressStyle};

use mixvae::metrics::Scores;

/// A progress bar of `len` steps, hidden when the command prints JSON.
pub fn bar(len: u64, json: bool) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg} ({eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// The scores as a readable table under `title`.
pub fn print_scores(title: &str, scores: &Scores, test_size: usize, k: usize) {
    println!("{title}");
    println!("  test digits   {test_size}");
    println!("  components    {k} ({} used)", scores.clusters_used);
    println!("  accuracy      {:.4}  (Hungarian one-to-one map of clusters to digits)", scores.accuracy);
    println!("  NMI           {:.4}", scores.nmi);
    println!("  ARI           {:.4}", scores.ari);
    println!("  silhouette    {:.4}  (latent means, first 2000 digits, no labels)", scores.silhouette);
}

/// The scores as a JSON object, with the test set's size and the number of components.
pub fn scores_json(scores: &Scores, test_size: usize, k: usize) -> serde_json::Value {
    let mut value = serde_json::to_value(scores).expect("scores serialise");
    value["k"] = k.into();
    value["test_size"] = test_size.into();
    value
}
